"""The agent ticket page (SPEC §2, §3): facts, the full timeline and one panel per action.

Each action is a POST that parses its form, calls the matching osit.tickets.actions function with
channel "web" and redirects back to the page (post/redirect/get). A domain error re-renders the
page with the message next to the field and the status code of the error. Requesters are sent
to their portal page; a ticket a user may not see answers 404 like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial, wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from osit.core.errors import Conflict, DomainError, Forbidden, NotFound
from osit.core.queries import Ahead, read_ahead
from osit.directory.actions import find_user
from osit.tickets import actions, lifecycle, links, queries
from osit.tickets.choices import Channel, Status, WatcherKind
from osit.tickets.links import DONE, links_of, links_reads, merged_here
from osit.tickets.models import LinkKind, Ticket, Watcher
from osit.tickets.policy import (
    Action,
    can,
    get_attachment_for,
    get_ticket_for,
    is_agent,
    role_may,
    ticket_reads,
    visible_tickets,
)
from osit.tickets.timeline import build_timeline, format_minutes, timeline_reads
from osit.web.forms_ticket import (
    ACTIVITIES,
    AssignForm,
    AttachForm,
    ClassifyForm,
    DecideForm,
    LinkForm,
    MergeForm,
    PriorityForm,
    ReplyForm,
    RerouteForm,
    StatusForm,
    UnboundReply,
    WatcherForm,
    uploads_from,
)
from osit.web.forms_util import add_domain_error
from osit.web.sessions import concrete_user, read_with_session
from osit.web.views.errors import render_domain_error

CHANNEL = Channel.WEB

# The facts panel reads these relations with the ticket, in one query.
_RELATED = ("requester", "organisation", "site", "service", "application", "owner")


def _status_for(exc: DomainError) -> int:
    """The HTTP status of a page re-rendered because an action refused."""
    if isinstance(exc, NotFound) and exc.field in ("link", "event"):
        return 404
    if isinstance(exc, Forbidden):
        return 403
    if isinstance(exc, Conflict):
        return 409
    return 400


# --- fetching ---------------------------------------------------------------------------------


def _with_related(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return tickets.select_related(*_RELATED)


def _ticket_view(
    view: Callable[..., HttpResponse],
    *,
    reads_ahead: Callable[[Any, int | str], list[Ahead]] | None = None,
) -> Callable[..., HttpResponse]:
    """Log in, fetch the ticket through the policy (404 when invisible), keep requesters out.

    A requester asking for the page is redirected to the portal page of the same ticket; a
    requester posting to an agent action gets 403 (the portal has its own forms).

    ``reads_ahead(user, number)`` names reads a GET page makes once it has the ticket: they go
    out with the ticket's own read, in one round trip (``core.queries.read_ahead``), and with
    the visitor's session when the request has one (``read_with_session``). The ticket is
    still read and checked by ``get_ticket_for`` first; the page uses only what it then asks
    for (a read named here and not made costs its statement only).
    """

    def with_session(request: HttpRequest, number: int, **kwargs: Any) -> list[Ahead]:
        # The visitor's session goes out with the ticket's reads, before anyone is known, and
        # for a page an agent's reads (an agent's page is the one that gets rendered; a
        # requester is sent to the portal). ``wrapper`` then reads ahead what its user's roles
        # need and these lack; a read made here and not used costs its statement only.
        page = reads_ahead(AGENT_READS, number) if reads_ahead is not None else []
        return [*ticket_reads(number, shape=_with_related), *page]

    @wraps(view)
    @read_with_session(with_session)
    @login_required
    def wrapper(request: HttpRequest, number: int, **kwargs: Any) -> HttpResponse:
        user = concrete_user(request)
        if reads_ahead is None or request.method != "GET":
            return _fetched(request, user, number, kwargs)
        ahead = [*ticket_reads(number, shape=_with_related), *reads_ahead(user, number)]
        with read_ahead(*ahead):
            return _fetched(request, user, number, kwargs)

    def _fetched(request: HttpRequest, user, number: int, kwargs: dict[str, Any]) -> HttpResponse:
        try:
            ticket = get_ticket_for(user, number, shape=_with_related)
        except NotFound as exc:
            return render_domain_error(request, exc)
        if ticket.pk != int(number) and request.method in ("GET", "HEAD"):
            messages.info(
                request,
                _("Ticket #%(old)d was merged into #%(new)d.") % {"old": number, "new": ticket.pk},
            )
            name = "web:ticket" if is_agent(user) else "web:portal_ticket"
            return redirect(name, number=ticket.pk)
        if not is_agent(user):
            if request.method in ("GET", "HEAD"):
                return redirect("web:portal_ticket", number=ticket.number)
            raise PermissionDenied(
                _("This page is for the service desk's agents. Your requests are in the portal.")
            )
        return view(request, ticket, **kwargs)

    return wrapper


def _page_reads(ticket_id: int, *, include_internal: bool, activities: bool) -> list[Ahead]:
    """What the ticket page reads once it has its ticket (``_render``)."""
    return [
        *links_reads(ticket_id),
        *timeline_reads(ticket_id, include_internal=include_internal),
        *queries.watchers_reads(ticket_id),
        *([ACTIVITIES.ahead()] if activities else []),
    ]


# Stands for "a technician or a manager" before the visitor is known (``_ticket_page_reads``).
AGENT_READS = object()


def _ticket_page_reads(user: Any, number: int | str) -> list[Ahead]:
    """``_page_reads`` before the ticket is in hand, for the ticket's own round trip: whether
    to read internal entries and the activity menu depends on the user's roles alone (for
    ``AGENT_READS``, on those of a technician: both)."""
    try:
        pk = int(number)
    except ValueError:
        return []
    if user is AGENT_READS:
        return _page_reads(pk, include_internal=True, activities=True)
    return _page_reads(
        pk,
        include_internal=role_may(user, Action.READ_INTERNAL),
        activities=role_may(user, Action.LOG_TIME),
    )


# --- the page ---------------------------------------------------------------------------------


def _status_targets(user, ticket: Ticket) -> list[str]:
    """The statuses ``user`` may move ``ticket`` to (the decision panel handles enhancements)."""
    if ticket.status == Status.PENDING_DECISION:
        return []
    if ticket.status == Status.CLOSED:
        needed = {Status.OPEN: Action.REOPEN}
    else:
        needed = {
            s: Action.CLOSE if s == Status.CLOSED else Action.CHANGE_STATUS
            for s in lifecycle.allowed_from(ticket.status)
        }
    return [s for s in lifecycle.allowed_from(ticket.status) if can(user, needed[s], ticket)]


def _permissions(user, ticket: Ticket) -> dict[str, bool]:
    names = (
        Action.REPLY,
        Action.NOTE,
        Action.READ_INTERNAL,
        Action.REROUTE,
        Action.TAKE,
        Action.ASSIGN,
        Action.EDIT,
        Action.DECIDE,
        Action.WATCHERS,
        Action.ATTACH,
        Action.LOG_TIME,
        Action.LINK,
        Action.MERGE,
        Action.SPLIT,
    )
    return {str(action): can(user, action, ticket) for action in names}


# Panels whose form is fetched when the panel is opened (HTMX; ``?panel=`` without JavaScript):
# their menus of services, people and applications are most of a ticket page's cost (issue 5),
# and most views of a ticket open none of them. The reply form and a pending decision stay in
# the page.
LAZY_PANELS = (
    "status",
    "reroute",
    "assign",
    "classify",
    "priority",
    "watchers",
    "attach",
    "link",
    "merge",
)
PANELS = ("reply", "status", "decide", *LAZY_PANELS[1:])
LAZY = "lazy"
_PANEL_ACTIONS = {
    "decide": Action.DECIDE,
    "reroute": Action.REROUTE,
    "assign": Action.ASSIGN,
    "classify": Action.EDIT,
    "priority": Action.EDIT,
    "watchers": Action.WATCHERS,
    "attach": Action.ATTACH,
    "link": Action.LINK,
    "merge": Action.MERGE,
}
_PANEL_FORMS: dict[str, type[forms.Form]] = {
    "decide": DecideForm,
    "reroute": RerouteForm,
    "assign": AssignForm,
    "classify": ClassifyForm,
    "priority": PriorityForm,
    "watchers": WatcherForm,
    "attach": AttachForm,
    "link": LinkForm,
    "merge": MergeForm,
}


def _may_use(name: str, perms: dict[str, bool], targets: list[str]) -> bool:
    if name == "reply":
        return perms[Action.REPLY] or perms[Action.NOTE]
    if name == "status":
        return bool(targets)
    return perms[_PANEL_ACTIONS[name]]


def _panel_form(
    name: str, ticket: Ticket, perms: dict[str, bool], targets: list[str]
) -> forms.Form:
    """The unbound form of panel ``name`` (the caller checked ``_may_use``)."""
    if name == "reply":
        return UnboundReply(  # type: ignore[return-value]  # a form made when it must be
            ticket,
            can_note=perms[Action.NOTE],
            can_log_time=perms[Action.LOG_TIME],
            can_attach=perms[Action.ATTACH],
        )
    if name == "status":
        return StatusForm(ticket=ticket, targets=targets)
    return _PANEL_FORMS[name](ticket=ticket)


def _default_forms(
    ticket: Ticket, perms: dict[str, bool], targets: list[str], *, inline: str = ""
) -> dict[str, forms.Form | str]:
    """Each panel the user may use: its unbound form, or ``LAZY`` for one loaded when opened
    (``inline`` names a lazy panel to render in place, as ``?panel=`` asks)."""
    return {
        name: LAZY
        if name in LAZY_PANELS and name != inline
        else _panel_form(name, ticket, perms, targets)
        for name in PANELS
        if _may_use(name, perms, targets)
    }


def _blocked_by(linked: list[links.LinkView]) -> list[int]:
    """The open tickets this one depends on: the status panel offers the override."""
    return [
        v.other.pk
        for v in linked
        if v.outgoing and v.kind == LinkKind.DEPENDS_ON and v.other.status not in DONE
    ]


def _watchers(ticket: Ticket) -> dict[str, list[Watcher]]:
    watchers = queries.watchers_of(ticket)
    return {
        "cc": [w for w in watchers if w.kind == WatcherKind.CC],
        "admincc": [w for w in watchers if w.kind == WatcherKind.ADMINCC],
    }


def _reply_form(request: HttpRequest | None, ticket: Ticket, perms: dict[str, bool]) -> ReplyForm:
    return ReplyForm(
        request.POST if request else None,
        request.FILES if request else None,
        ticket=ticket,
        can_note=perms[Action.NOTE],
        can_log_time=perms[Action.LOG_TIME],
        can_attach=perms[Action.ATTACH],
    )


def _render(
    request: HttpRequest,
    ticket: Ticket,
    *,
    bound: tuple[str, forms.Form] | None = None,
    status: int = 200,
    page_error: str = "",
) -> HttpResponse:
    user = request.user
    perms = _permissions(user, ticket)
    targets = _status_targets(user, ticket)
    asked = request.GET.get("panel", "") if bound is None else ""
    inline = asked if asked in LAZY_PANELS and _may_use(asked, perms, targets) else ""
    panels = _default_forms(ticket, perms, targets, inline=inline)
    open_panel = inline
    if bound is not None:
        open_panel, form = bound
        panels[open_panel] = form
    include_internal = perms[Action.READ_INTERNAL]
    # The page's reads after the ticket depend only on it: sent together, one round trip.
    reads = _page_reads(
        ticket.pk,
        include_internal=include_internal,
        activities="reply" in panels and perms[Action.LOG_TIME],
    )
    with read_ahead(*reads):
        return _render_page(
            request, ticket, perms, panels, open_panel, page_error, include_internal, status
        )


def _render_page(
    request: HttpRequest,
    ticket: Ticket,
    perms: dict[str, bool],
    panels: dict[str, forms.Form | str],
    open_panel: str,
    page_error: str,
    include_internal: bool,
    status: int,
) -> HttpResponse:
    user = request.user
    linked = links_of(ticket, visible_to=user)
    timeline = build_timeline(ticket, include_internal=include_internal)
    context: dict[str, Any] = {
        "ticket": ticket,
        "may": perms,
        "panels": panels,
        "open_panel": open_panel,
        "page_error": page_error,
        "timeline": timeline,
        "include_internal": include_internal,
        **_watchers(ticket),
        "time_spent": format_minutes(ticket.time_spent_minutes),
        "can_take": perms[Action.TAKE],
        "links": linked,
        "blocked_by": _blocked_by(linked),
        "merged_from": merged_here(ticket, timeline, complete=include_internal),
        "nav_active": f"queue:{ticket.service.slug}" if ticket.service else "",
    }
    return render(request, "osit/ticket/detail.html", context, status=status)


@require_GET
@partial(_ticket_view, reads_ahead=_ticket_page_reads)
def detail(request: HttpRequest, ticket: Ticket) -> HttpResponse:
    return _render(request, ticket)


@require_GET
@_ticket_view
def panel(request: HttpRequest, ticket: Ticket, name: str) -> HttpResponse:
    """The body of a closed action panel, fetched when the agent opens it (404 if not theirs)."""
    user = request.user
    perms = _permissions(user, ticket)
    targets = _status_targets(user, ticket)
    if name not in LAZY_PANELS or not _may_use(name, perms, targets):
        raise Http404(_("This ticket has no such panel for you."))
    context: dict[str, Any] = {
        "ticket": ticket,
        "may": perms,
        "form": _panel_form(name, ticket, perms, targets),
    }
    if name == "status":
        context["blocked_by"] = _blocked_by(links_of(ticket, visible_to=user))
    elif name == "watchers":
        context.update(_watchers(ticket))
    return render(request, f"osit/ticket/panels/{name}.html", context)


# --- running an action ------------------------------------------------------------------------


def _back(request: HttpRequest, ticket: Ticket) -> HttpResponse:
    """Back to the ticket, or home when the action took it out of the user's sight."""
    if visible_tickets(request.user).filter(pk=ticket.pk).exists():
        return redirect("web:ticket", number=ticket.number)
    return redirect("web:home")


def _run(
    request: HttpRequest,
    ticket: Ticket,
    panel: str,
    form: forms.Form,
    do: Callable[[dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    """Validate ``form``, call ``do(cleaned_data)``; PRG on success, the page with errors else."""
    if not form.is_valid():
        return _render(request, ticket, bound=(panel, form), status=400)
    try:
        do(form.cleaned_data)
    except DomainError as exc:
        if isinstance(exc, NotFound) and not exc.field:
            return render_domain_error(request, exc)
        add_domain_error(form, exc, aliases=getattr(form, "error_aliases", None))
        return _render(request, ticket, bound=(panel, form), status=_status_for(exc))
    messages.success(request, done)
    return _back(request, ticket)


@require_POST
@_ticket_view
def reply(request: HttpRequest, ticket: Ticket) -> HttpResponse:
    form = _reply_form(request, ticket, _permissions(request.user, ticket))

    def do(data: dict[str, Any]) -> object:
        return actions.add_comment(
            ticket,
            actor=request.user,
            channel=CHANNEL,
            body=data["body"],
            visibility=data["visibility"],
            time_spent_minutes=data.get("time_spent_minutes") or 0,
            activity=data.get("activity"),
            billable=data.get("billable"),
            work_date=data.get("work_date"),
            uploads=uploads_from(data.get("attachments") or []),
        )

    return _run(request, ticket, "reply", form, do, _("Your comment was added."))


@require_POST
@_ticket_view
def status(request: HttpRequest, ticket: Ticket) -> HttpResponse:
    form = StatusForm(request.POST, ticket=ticket, targets=_status_targets(request.user, ticket))

    def do(data: dict[str, Any]) -> object:
        return actions.change_status(
            ticket,
            actor=request.user,
            channel=CHANNEL,
            status=data["status"],
            comment=data["comment"],
            visibility=data["visibility"],
            override_dependencies=data["override_dependencies"],
        )

    return _run(request, ticket, "status", form, do, _("The status was changed."))


@require_POST
@_ticket_view
def reroute(request: HttpRequest, ticket: Ticket) -> HttpResponse:
    form = RerouteForm(request.POST, ticket=ticket)

    def do(data: dict[str, Any]) -> object:
        return actions.reroute(
            ticket,
            actor=request.user,
            channel=CHANNEL,
            service=data["service"],
            comment=data["comment"],
        )

    return _run(request, ticket, "reroute", form, do, _("The ticket was re-routed."))


@require_POST
@_ticket_view
def take(request: HttpRequest, ticket: Ticket) -> HttpResponse:
    try:
        actions.take(ticket, actor=request.user, channel=CHANNEL)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            return render_domain_error(request, exc)
        return _render(request, ticket, status=_status_for(exc), page_error=exc.message)
    messages.success(request, _("You are now the owner of this ticket."))
    return _back(request, ticket)


@require_POST
@_ticket_view
def assign(request: HttpRequest, ticket: Ticket) -> HttpResponse:
    form = AssignForm(request.POST, ticket=ticket)

    def do(data: dict[str, Any]) -> object:
        return actions.assign(ticket, actor=request.user, channel=CHANNEL, owner=data["owner"])

    return _run(request, ticket, "assign", form, do, _("The owner was changed."))


@require_POST
@_ticket_view
def classify(request: HttpRequest, ticket: Ticket) -> HttpResponse:
    form = ClassifyForm(request.POST, ticket=ticket)

    def do(data: dict[str, Any]) -> object:
        application = data["application"]
        return actions.classify(
            ticket,
            actor=request.user,
            channel=CHANNEL,
            severity=data["severity"],
            criticality=data["criticality"],
            application=application,
            clear_application=application is None and ticket.application_id is not None,
        )

    return _run(request, ticket, "classify", form, do, _("The classification was saved."))


@require_POST
@_ticket_view
def priority(request: HttpRequest, ticket: Ticket) -> HttpResponse:
    form = PriorityForm(request.POST, ticket=ticket)

    def do(data: dict[str, Any]) -> object:
        return actions.set_priority(
            ticket,
            actor=request.user,
            channel=CHANNEL,
            priority=None if data["reset"] else data["priority"],
            reason=data["reason"],
        )

    return _run(request, ticket, "priority", form, do, _("The priority was saved."))


@require_POST
@_ticket_view
def decide(request: HttpRequest, ticket: Ticket) -> HttpResponse:
    form = DecideForm(request.POST, ticket=ticket)

    def do(data: dict[str, Any]) -> object:
        return actions.decide_enhancement(
            ticket,
            actor=request.user,
            channel=CHANNEL,
            accept=data["decision"] == "accept",
            comment=data["comment"],
        )

    return _run(request, ticket, "decide", form, do, _("The decision was recorded."))


@require_POST
@_ticket_view
def watchers(request: HttpRequest, ticket: Ticket) -> HttpResponse:
    form = WatcherForm(request.POST, ticket=ticket)

    def do(data: dict[str, Any]) -> object:
        user = find_user(data["user"])
        change = actions.remove_watcher if data["remove"] else actions.add_watcher
        return change(ticket, actor=request.user, channel=CHANNEL, user=user, kind=data["kind"])

    removing = request.POST.get("remove") in ("True", "true", "on", "1")
    done = _("The watcher was removed.") if removing else _("The watcher was added.")
    return _run(request, ticket, "watchers", form, do, done)


@require_POST
@_ticket_view
def attach(request: HttpRequest, ticket: Ticket) -> HttpResponse:
    form = AttachForm(request.POST, request.FILES, ticket=ticket)

    def do(data: dict[str, Any]) -> object:
        return actions.add_attachments(
            ticket, actor=request.user, channel=CHANNEL, uploads=uploads_from(data["attachments"])
        )

    return _run(request, ticket, "attach", form, do, _("The files were attached."))


# --- download ---------------------------------------------------------------------------------


@require_GET
@login_required
def download(request: HttpRequest, attachment_id: int, filename: str) -> HttpResponse:
    """The file, if its ticket is visible and (for an internal one) the user reads notes."""
    try:
        attachment = get_attachment_for(request.user, attachment_id)
        handle = _open(attachment)
    except NotFound as exc:
        return render_domain_error(request, exc)
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Never rendered by the browser as part of OSIT, whatever the uploader claimed it is.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def _open(attachment):
    try:
        return attachment.file.open("rb")
    except OSError:
        raise NotFound(_("Attachment %(id)s does not exist.") % {"id": attachment.pk}) from None


@require_POST
@_ticket_view
def link(request: HttpRequest, ticket: Ticket) -> HttpResponse:
    form = LinkForm(request.POST, ticket=ticket)

    def do(data: dict[str, Any]) -> object:
        return links.add_link(
            ticket, actor=request.user, channel=CHANNEL, kind=data["kind"], target=data["target"]
        )

    return _run(request, ticket, "link", form, do, _("The link was added."))


@require_POST
@_ticket_view
def unlink(request: HttpRequest, ticket: Ticket, link_id: int) -> HttpResponse:
    try:
        links.remove_link(ticket, actor=request.user, channel=CHANNEL, link_id=link_id)
    except DomainError as exc:
        return _render(request, ticket, status=_status_for(exc), page_error=exc.message)
    messages.success(request, _("The link was removed."))
    return _back(request, ticket)


@require_POST
@_ticket_view
def merge(request: HttpRequest, ticket: Ticket) -> HttpResponse:
    form = MergeForm(request.POST, ticket=ticket)
    if not form.is_valid():
        return _render(request, ticket, bound=("merge", form), status=400)
    try:
        survivor = links.merge(
            ticket,
            actor=request.user,
            channel=CHANNEL,
            into=form.cleaned_data["into"],
            comment=form.cleaned_data["comment"],
        )
    except DomainError as exc:
        add_domain_error(form, exc)
        return _render(request, ticket, bound=("merge", form), status=_status_for(exc))
    messages.success(request, _("#%(old)d was merged into this ticket.") % {"old": ticket.pk})
    return redirect("web:ticket", number=survivor.pk)


@require_POST
@_ticket_view
def split(request: HttpRequest, ticket: Ticket, comment_id: int) -> HttpResponse:
    try:
        new = links.split(ticket, actor=request.user, channel=CHANNEL, comment_id=comment_id)
    except DomainError as exc:
        return _render(request, ticket, status=_status_for(exc), page_error=exc.message)
    messages.success(request, _("Ticket #%(new)d was created from that comment.") % {"new": new.pk})
    return redirect("web:ticket", number=new.pk)
