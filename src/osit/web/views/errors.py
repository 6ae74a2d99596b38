"""Error pages (settings' handler400…500). A friendly message and a way home, never a traceback."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader

from osit.core.errors import DomainError, Forbidden, NotFound

logger = logging.getLogger(__name__)

PLAIN_FALLBACK = "<!doctype html><title>{status}</title><p>{status}</p><p><a href='/'>OSIT</a></p>"


def _message(exception: BaseException | None) -> str:
    """The exception's text when it was written for a person (ours), else nothing."""
    if isinstance(exception, DomainError):
        return exception.message
    if isinstance(exception, PermissionDenied) and exception.args:
        first = exception.args[0]
        return first if isinstance(first, str) else ""
    return ""


def _page(request: HttpRequest, status: int, template: str, message: str = "") -> HttpResponse:
    try:
        return render(request, template, {"message": message}, status=status)
    except Exception:
        # The page itself failed (a broken request, a broken database): still answer politely.
        logger.exception("error page %s failed to render", status)
        return HttpResponse(PLAIN_FALLBACK.format(status=status), status=status)


def bad_request(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    return _page(request, 400, "400.html")


def permission_denied(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    return _page(request, 403, "403.html", _message(exception))


def page_not_found(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    # Http404's own text may name internals (a model, a URL pattern): show only ours.
    return _page(
        request, 404, "404.html", _message(exception) if isinstance(exception, DomainError) else ""
    )


def server_error(request: HttpRequest) -> HttpResponse:
    # No request context: context processors query the database, which may be what broke.
    try:
        return HttpResponse(loader.get_template("500.html").render(), status=500)
    except Exception:
        logger.exception("error page 500 failed to render")
        return HttpResponse(PLAIN_FALLBACK.format(status=500), status=500)


def render_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """The error page for a domain error a view did not show next to a field."""
    if isinstance(exc, NotFound):
        return _page(request, 404, "404.html", exc.message)
    if isinstance(exc, Forbidden):
        return _page(request, 403, "403.html", exc.message)
    return _page(request, 400, "400.html", exc.message)
