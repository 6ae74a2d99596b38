"""The requesters' self-service portal (SPEC §3): their own tickets, new requests, replies, and
"is it fixed?" on a resolved ticket.

Everything starts from ``policy.visible_tickets``/``get_ticket_for`` (a ticket the user may not
see is a 404) and shows the public timeline only: no internal note, internal event, internal file
or time entry reaches these pages. Agents may use the portal for the tickets they requested; on
any other ticket they are sent to the agent page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from osit.core.errors import Conflict, DomainError, Forbidden, NotFound
from osit.directory.models import User
from osit.tickets import actions
from osit.tickets.choices import Channel, Status, Visibility
from osit.tickets.models import Ticket
from osit.tickets.policy import Action, can, get_ticket_for, is_agent, visible_tickets
from osit.tickets.timeline import Entry, build_timeline
from osit.web.forms_portal import PortalReplyForm, PortalTicketForm, ReopenForm
from osit.web.forms_ticket import uploads_from
from osit.web.forms_util import add_domain_error
from osit.web.views.errors import render_domain_error

CHANNEL = Channel.WEB
_LIST_FIELDS = ("id", "subject", "status", "created_at", "updated_at", "application__name")


def my_tickets(user: User) -> QuerySet[Ticket]:
    """The portal list: what a requester may see; for an agent, only what they requested."""
    tickets = visible_tickets(user)
    if is_agent(user):
        co_requested = Ticket.extra_requesters.through.objects.filter(user_id=user.pk).values(
            "ticket_id"
        )
        tickets = tickets.filter(Q(requester_id=user.pk) | Q(id__in=co_requested))
    return tickets


def _is_own(user: User, ticket: Ticket) -> bool:
    return ticket.requester_id == user.pk or ticket.extra_requesters.filter(pk=user.pk).exists()


def _status_for(exc: DomainError) -> int:
    if isinstance(exc, Forbidden):
        return 403
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, NotFound):
        return 404
    return 400


@login_required
def index(request: HttpRequest) -> HttpResponse:
    tickets = my_tickets(request.user).select_related("application").only(*_LIST_FIELDS)
    page = Paginator(tickets.order_by("-id"), settings.OSIT_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "osit/portal/index.html",
        {"page_obj": page, "tickets": page.object_list, "nav_active": "portal"},
    )


@login_required
def new(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _render_new(request, PortalTicketForm())
    form = PortalTicketForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_new(request, form, status=400)
    data = form.cleaned_data
    try:
        ticket = actions.create_ticket(
            actor=request.user,
            channel=CHANNEL,
            requester=request.user,
            subject=data["subject"],
            description=data["description"],
            application=data["application"],
            uploads=uploads_from(data["attachments"]),
        )
    except DomainError as exc:
        add_domain_error(form, exc, aliases=form.error_aliases)
        return _render_new(request, form, status=_status_for(exc))
    messages.success(
        request,
        _("Your request #%(number)d is registered. We will answer here and by e-mail.")
        % {"number": ticket.number},
    )
    return redirect("web:portal_ticket", number=ticket.number)


def _render_new(request: HttpRequest, form: PortalTicketForm, *, status: int = 200) -> HttpResponse:
    return render(
        request, "osit/portal/new.html", {"form": form, "nav_active": "portal"}, status=status
    )


# --- one ticket -------------------------------------------------------------------------------


def _portal_ticket(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Log in and fetch the ticket through the policy (404 when invisible). An agent who did not
    request the ticket is sent to the agent page (a GET) or refused (a POST)."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, number: int) -> HttpResponse:
        user = request.user
        queryset = visible_tickets(user).select_related("application", "service")
        try:
            ticket = get_ticket_for(user, number, queryset=queryset)
        except NotFound as exc:
            return render_domain_error(request, exc)
        if is_agent(user) and not _is_own(user, ticket):
            if request.method in ("GET", "HEAD"):
                return redirect("web:ticket", number=ticket.number)
            raise PermissionDenied(_("This ticket's page for agents is elsewhere."))
        return view(request, ticket)

    return wrapper


def _public_timeline(ticket: Ticket) -> list[Entry]:
    """The timeline without internal entries, each comment's text shown once.

    A reply that reopens a ticket is referred to by two events (the reply and the status
    change); the text goes with the first.
    """
    entries = build_timeline(ticket, include_internal=False)
    shown: set[int] = set()
    for entry in entries:
        if entry.comment is not None:
            if entry.comment.pk in shown:
                entry.comment = None
            else:
                shown.add(entry.comment.pk)
    return entries


def _render_detail(
    request: HttpRequest,
    ticket: Ticket,
    *,
    reply_form: PortalReplyForm | None = None,
    reopen_form: ReopenForm | None = None,
    page_error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    resolved_for_me = ticket.status == Status.RESOLVED and ticket.requester_id == user.pk
    context = {
        "ticket": ticket,
        "timeline": _public_timeline(ticket),
        "reply_form": (reply_form or PortalReplyForm())
        if can(user, Action.REPLY, ticket)
        else None,
        "may_attach": can(user, Action.ATTACH, ticket),
        "may_confirm": can(user, Action.CONFIRM, ticket),
        # Shown for the whole resolved period: after the window the action says why it refuses.
        "reopen_form": (reopen_form or ReopenForm()) if resolved_for_me else None,
        "reopen_window_days": settings.OSIT_REOPEN_WINDOW_DAYS,
        "page_error": page_error,
        "nav_active": "portal",
    }
    return render(request, "osit/portal/detail.html", context, status=status)


@_portal_ticket
def detail(request: HttpRequest, ticket: Ticket) -> HttpResponse:
    return _render_detail(request, ticket)


def _failed(
    request: HttpRequest, ticket: Ticket, form: forms.Form | None, exc: DomainError, form_name: str
) -> HttpResponse:
    """Re-render the page with ``exc`` next to the field of ``form`` (or atop the page)."""
    if form is None:
        return _render_detail(request, ticket, page_error=exc.message, status=_status_for(exc))
    add_domain_error(form, exc, aliases=getattr(form, "error_aliases", None))
    # The action rolled back and worked on its own copy: ``ticket`` is still the current state.
    return _render_detail(request, ticket, status=_status_for(exc), **{form_name: form})


@require_POST
@_portal_ticket
def reply(request: HttpRequest, ticket: Ticket) -> HttpResponse:
    form = PortalReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_detail(request, ticket, reply_form=form, status=400)
    data = form.cleaned_data
    try:
        actions.add_comment(
            ticket,
            actor=request.user,
            channel=CHANNEL,
            body=data["body"],
            visibility=Visibility.PUBLIC,
            uploads=uploads_from(data["attachments"]),
        )
    except DomainError as exc:
        return _failed(request, ticket, form, exc, "reply_form")
    messages.success(request, _("Your reply was sent."))
    return redirect("web:portal_ticket", number=ticket.number)


@require_POST
@_portal_ticket
def confirm(request: HttpRequest, ticket: Ticket) -> HttpResponse:
    try:
        actions.confirm_resolution(ticket, actor=request.user, channel=CHANNEL)
    except DomainError as exc:
        return _failed(request, ticket, None, exc, "")
    messages.success(request, _("Thank you: the ticket is closed."))
    return redirect("web:portal_ticket", number=ticket.number)


@require_POST
@_portal_ticket
def reopen(request: HttpRequest, ticket: Ticket) -> HttpResponse:
    form = ReopenForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, ticket, reopen_form=form, status=400)
    try:
        actions.requester_reopen(
            ticket, actor=request.user, channel=CHANNEL, comment=form.cleaned_data["comment"]
        )
    except DomainError as exc:
        return _failed(request, ticket, form, exc, "reopen_form")
    messages.success(request, _("The ticket is open again; the service desk will look at it."))
    return redirect("web:portal_ticket", number=ticket.number)
