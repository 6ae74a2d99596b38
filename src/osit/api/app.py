"""The REST API v1 (SPEC §11): one NinjaAPI, its authentication, limits and error shape.

Endpoints are thin adapters: they parse the body (pydantic), fetch through the policy and call an
action; every ``DomainError`` becomes the documented error body with its status code.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db.utils import DataError
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from osit.api.auth import SessionCsrfAuth, TokenAuth, UserAndAddressThrottle, address_blocked
from osit.core.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound

DESCRIPTION = """
The OSIT service desk, for programs: everything an agent or a requester does in the web UI, under
exactly the same rules.

**Authentication**: `Authorization: Bearer <token>` with a personal token (`osit token create
USER`, the profile page, or `POST /tokens` with a username and password), or the web session
(unsafe methods then need the `X-CSRFToken` header).

**Errors** all have one body: `{"status", "code", "message", "field", "allowed"}`. 401 no valid
credentials; 403 the ticket is visible but the action is not allowed to you; 404 it does not exist
*or is not visible to you*; 409 a transition not allowed from the current status (`allowed` lists
the possible ones) or a stale `If-Match`; 422 invalid input (`field` names it); 429 too many
requests (`Retry-After` says when to come back).

**Lists** are pages `{"items": [...], "next_cursor": ...}`: pass `next_cursor` back as `cursor`
until it is null.
"""

log = logging.getLogger("osit.api")

api = NinjaAPI(
    title="OSIT API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=[TokenAuth(), SessionCsrfAuth()],
    throttle=[UserAndAddressThrottle()],
    docs_url="/docs",
    openapi_url="/openapi.json",
)

CODES = {
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "invalid",
    429: "rate_limited",
}


def error_response(
    request: HttpRequest,
    status: int,
    message: str,
    *,
    field: str | None = None,
    allowed: list[str] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "status": status,
        "code": CODES.get(status, "error"),
        "message": message,
        "field": field,
    }
    if allowed is not None:
        body["allowed"] = allowed
    return api.create_response(request, body, status=status)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    status = {NotFound: 404, Forbidden: 403, Conflict: 409, InvalidInput: 422}.get(
        type(exc), exc.status_code
    )
    return error_response(
        request, status, exc.message, field=exc.field, allowed=getattr(exc, "allowed", None)
    )


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    # loc is ("body", "payload", "field") or ("query", "limit"): name the field a client sent.
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "payload", "query", "path")]
    field = ".".join(loc) or None
    message = first.get("msg", _("Invalid input."))
    if field:
        message = f"{field}: {message}"
    return error_response(request, 422, message, field=field)


@api.exception_handler(AuthenticationError)
def _not_authenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    wait = address_blocked(request)
    if wait:
        response = error_response(request, 429, _("Too many requests; try again later."))
        response["Retry-After"] = str(wait)
        return response
    response = error_response(
        request,
        401,
        _("Authentication required: send Authorization: Bearer <token> or log in."),
    )
    response["WWW-Authenticate"] = 'Bearer realm="osit"'
    return response


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    return error_response(request, 429, _("Too many requests; try again later."))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 403 and "CSRF" in str(exc):
        return error_response(
            request, 403, _("CSRF check failed: send the X-CSRFToken header with the session.")
        )
    if exc.status_code == 400:
        # ninja's "Cannot parse request body": the body is not the JSON the endpoint takes.
        return error_response(request, 422, _("The body is not valid JSON."), field="body")
    return error_response(request, exc.status_code, str(exc))


@api.exception_handler(MultiPartParserError)
def _bad_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    return error_response(
        request, 422, _("The body is not a valid multipart upload: %s") % exc, field="files"
    )


@api.exception_handler(OverflowError)
@api.exception_handler(DataError)
def _out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
    # A number beyond what the database stores (e.g. /tickets/99999999999999999999).
    return error_response(request, 422, _("A number is out of range."))


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Logged with its traceback for the admins; the client gets the error shape, never a page.
    log.exception("API error on %s %s", request.method, request.path)
    return error_response(request, 500, _("Internal error; it has been logged."))


from osit.api import directory, tickets  # noqa: E402 — routers register on ``api``

api.add_router("", directory.router)
api.add_router("", tickets.router)
