"""Agent pages: "at a glance" home, the ticket lists and quick create (SPEC §3, §9).

Each list is a query from osit.tickets.queries rendered by one template; the number of SQL
queries of a page does not depend on the number of tickets.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from osit.core.errors import DomainError
from osit.core.queries import Ahead
from osit.directory.actions import find_user
from osit.directory.models import Service
from osit.tickets import queries
from osit.tickets.actions import create_ticket
from osit.tickets.choices import Channel
from osit.tickets.models import Ticket
from osit.tickets.policy import is_agent
from osit.web.forms_lists import QuickCreateForm
from osit.web.forms_util import add_domain_error
from osit.web.sessions import concrete_user, read_with_session
from osit.web.templatetags.osit_render import ticket_list_part

HOME_LIMIT = 10

# Column headers: (sort key or None, label). Keys must be in queries.SORTS.
COLUMNS = (
    ("number", gettext_lazy("Number")),
    ("subject", gettext_lazy("Subject")),
    (None, gettext_lazy("Requester")),
    ("service", gettext_lazy("Service")),
    (None, gettext_lazy("Application")),
    ("owner", gettext_lazy("Owner")),
    ("priority", gettext_lazy("Priority")),
    ("status", gettext_lazy("Status")),
    ("updated", gettext_lazy("Updated")),
)
SORT_LABELS = {
    "number": gettext_lazy("Number"),
    "subject": gettext_lazy("Subject"),
    "priority": gettext_lazy("Priority"),
    "status": gettext_lazy("Status"),
    "service": gettext_lazy("Service"),
    "owner": gettext_lazy("Owner"),
    "created": gettext_lazy("Created"),
    "updated": gettext_lazy("Updated"),
    "closed": gettext_lazy("Closed"),
}


def agent_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous users log in first; requesters get 403 (their pages are the portal's)."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_agent(concrete_user(request)):
            raise PermissionDenied(
                _("This page is for the service desk's agents. Your requests are in the portal.")
            )
        return view(request, *args, **kwargs)

    return wrapper


def _headers(sort: queries.Sort) -> list[dict[str, object]]:
    """Header cells: a click sorts by the column, a second click reverses it. Their labels are
    translated once per language and sort (nine lookups a list page otherwise)."""
    return list(_headers_in(get_language(), sort))


@functools.lru_cache(maxsize=256)
def _headers_in(language: str | None, sort: queries.Sort) -> tuple[dict[str, object], ...]:
    # ``language`` is the active one (it keys the cache): str() translates into it.
    cells = []
    for key, label in COLUMNS:
        current = key is not None and key == sort.key
        descending = current and sort.descending
        cells.append(
            {
                "key": key,
                "label": str(label),
                "param": key if (key is None or not current or descending) else f"-{key}",
                "aria_sort": ("descending" if descending else "ascending") if current else None,
            }
        )
    return tuple(cells)


def _render_list(
    request: HttpRequest,
    tickets: Callable[[], QuerySet[Ticket]],
    *,
    title: str,
    nav_active: str,
    default_sort: str = queries.DEFAULT_SORT,
    nav_services: list[Service] | None = None,
    slice_: queries.Slice | None = None,
    **extra: object,
) -> HttpResponse:
    """A list page of ``tickets()`` (made only when needed: a ``slice_`` the user sees whole
    is read by statements composed once)."""
    sort = queries.parse_sort(request.GET.get("sort"), default_sort)
    part = list_part_only(request)
    # The count, the rows and the bar of queues: one round trip (queries.table_page).
    page, rows, also = queries.table_page(
        lambda: queries.for_table(tickets(), sort),
        request.GET.get("page"),
        settings.OSIT_PAGE_SIZE,
        also=[queries.queue_services_statement()] if nav_services is None and not part else [],
        slice_=slice_,
        sort=sort,
    )
    if part:
        # The list's part alone: its markup written directly, without the page's template
        # and context (ticket_list_part, which the page's {% ticket_list %} writes too).
        response = HttpResponse(
            ticket_list_part(
                page=page,
                tickets=rows,
                caption=title,
                headers=_headers(sort),
                sort=sort,
                empty_text=str(extra.get("empty_text", "")),
                show_closed=bool(extra.get("show_closed")),
            )
        )
    else:
        context = {
            "title": title,
            "nav_active": nav_active,
            "page_obj": page,
            "tickets": rows,
            "sort": sort,
            "headers": _headers(sort),
            "sort_choices": [(key, SORT_LABELS[key]) for key in queries.SORTS],
            "nav_services": also[0] if also else nav_services,
            **extra,
        }
        response = render(request, "osit/list.html", context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


def list_part_only(request: HttpRequest) -> bool:
    """Whether the request asks for the list's part alone (``#ticket-list``: its count, table
    and pager), as paging and sorting by a header do with HTMX; the address bar then shows the
    page's address, which serves the whole page (a reload, or HTMX restoring its history)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and htmx.target == "ticket-list" and not htmx.history_restore_request


def _queue_reads(request: HttpRequest, slug: str) -> list[Ahead]:
    # What ``queue`` reads, sent with the visitor's session (read_with_session): the bar of
    # queues, or for the list's part alone the service by its address; and the page of the
    # queue as a visitor who sees it whole reads it, for the service this address named when
    # last read here. The view uses that page only if the service read with it has that id
    # and the policy says the visitor sees the queue whole (queue_slice).
    reads = (
        queries.service_reads(slug) if list_part_only(request) else queries.queue_services_reads()
    )
    guessed = queries.guessed_service_id(slug)
    if guessed is not None:
        reads += queries.slice_page_reads(
            queries.Slice("queue", (guessed,)),
            queries.parse_sort(request.GET.get("sort"), queries.DEFAULT_SORT),
            request.GET.get("page"),
            settings.OSIT_PAGE_SIZE,
        )
    return reads


@read_with_session(_queue_reads)
@agent_required
def queue(request: HttpRequest, slug: str) -> HttpResponse:
    # The bar of queues lists every active service: the one asked for is usually among them.
    # The list's part alone (paging) has no bar: its service is read by its address.
    nav_services = [] if list_part_only(request) else queries.queue_services()
    service = queries.service(slug, known=nav_services)
    if service is None:
        raise Http404(_("There is no service %(slug)s.") % {"slug": slug})
    return _render_list(
        request,
        lambda: queries.queue(request.user, service),
        slice_=queries.queue_slice(request.user, service),
        title=_("Queue: %(service)s") % {"service": service.name},
        nav_active=f"queue:{service.slug}",
        nav_services=nav_services,
        current_service=service,
        empty_text=_("No active ticket in this queue."),
    )


@agent_required
def mine(request: HttpRequest) -> HttpResponse:
    return _render_list(
        request,
        lambda: queries.mine(request.user),
        slice_=queries.mine_slice(request.user),
        title=_("My tickets"),
        nav_active="mine",
        empty_text=_("You own no active ticket."),
    )


@agent_required
def unowned(request: HttpRequest) -> HttpResponse:
    return _render_list(
        request,
        lambda: queries.unowned(request.user),
        slice_=queries.unowned_slice(request.user),
        title=_("New and unowned"),
        nav_active="unowned",
        empty_text=_("Every ticket has an owner."),
    )


@agent_required
def enhancements(request: HttpRequest) -> HttpResponse:
    return _render_list(
        request,
        lambda: queries.enhancements(request.user),
        title=_("Enhancement requests"),
        nav_active="enhancements",
        empty_text=_("No enhancement request waits for a decision."),
    )


@agent_required
def closed(request: HttpRequest) -> HttpResponse:
    return _render_list(
        request,
        lambda: queries.closed(request.user),
        title=_("Closed tickets"),
        nav_active="closed",
        default_sort="-closed",
        show_closed=True,
        empty_text=_("No closed ticket."),
    )


def _render_home(
    request: HttpRequest, form: QuickCreateForm, *, quick_only: bool = False
) -> HttpResponse:
    user = request.user
    context: dict[str, object] = {
        "form": form,
        "quick_only": quick_only,
        "nav_active": "home",
        "nav_services": queries.queue_services(),
    }
    if not quick_only:
        by_priority = queries.Sort("priority")
        unowned = queries.unowned(user)
        context.update(
            my_tickets=queries.table_rows(
                queries.for_table(queries.mine(user), by_priority)[:HOME_LIMIT]
            ),
            unowned_tickets=queries.table_rows(
                queries.for_table(unowned, by_priority)[:HOME_LIMIT]
            ),
            unowned_count=unowned.count(),
            enhancement_count=queries.enhancements(user).count(),
            home_limit=HOME_LIMIT,
            headers=_headers(by_priority),
        )
    return render(request, "osit/home.html", context)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if not is_agent(request.user):
        return redirect("web:portal")
    return _render_home(request, QuickCreateForm())


def _create_from(form: QuickCreateForm, actor) -> Ticket | None:
    data = form.cleaned_data
    try:
        return create_ticket(
            actor=actor,
            channel=Channel.WEB,
            requester=find_user(data["requester"]),
            subject=data["subject"],
            service=data["service"],
            application=data["application"],
            severity=data["severity"],
            criticality=data["criticality"],
        )
    except DomainError as exc:
        add_domain_error(form, exc, aliases=form.error_aliases)
        return None


@agent_required
def quick_create(request: HttpRequest) -> HttpResponse:
    """POST target of the home page's form; GET shows the form alone."""
    if request.method != "POST":
        return _render_home(request, QuickCreateForm(), quick_only=True)
    form = QuickCreateForm(request.POST)
    ticket = _create_from(form, request.user) if form.is_valid() else None
    if ticket is None:
        return _render_home(request, form)
    messages.success(request, _("Ticket #%(number)d created.") % {"number": ticket.number})
    return redirect("web:ticket", number=ticket.number)
