"""``/tickets`` and what hangs off them (SPEC §11). Every read starts from the policy's visible
tickets; every change is one action of ``osit.tickets.actions``."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, Literal

from django.db import IntegrityError, transaction
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Header, Query, Router, Schema
from ninja import Status as Reply
from ninja.files import UploadedFile
from pydantic import Field

from osit.api.cursor import Ordering, page
from osit.api.models import IdempotencyKey
from osit.api.schemas import (
    AttachmentOut,
    CommentIn,
    CommentOut,
    Error,
    EventOut,
    LinkIn,
    LinkOut,
    MergeIn,
    RerouteIn,
    SplitIn,
    TicketCreateIn,
    TicketOut,
    TicketPage,
    TicketPatchIn,
    TransitionIn,
    WatcherIn,
)
from osit.api.serialize import (
    attachment_out,
    comment_out,
    comments_for_output,
    event_out,
    ticket_out,
    tickets_for_output,
)
from osit.audit.models import Event
from osit.core.errors import Conflict, DomainError, InvalidInput, NotFound
from osit.core.queries import read_ahead
from osit.directory.actions import find_user, get_application, get_service, lookups_ahead
from osit.directory.models import User
from osit.search.query import search
from osit.tickets import actions, lifecycle, links, queries
from osit.tickets.choices import Channel, Status, Visibility, WatcherKind
from osit.tickets.models import ActivityType, Attachment, Comment, Ticket
from osit.tickets.policy import (
    Action,
    can,
    get_attachment_for,
    get_ticket_for,
    is_agent,
    visible_tickets,
)

router = Router(tags=["tickets"])

CHANNEL = Channel.API
ERRORS = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error, 429: Error}
IDEMPOTENCY_TTL = timedelta(hours=24)

URGENT_FIRST = Ordering("urgent", ("priority", "id"))
NEWEST_FIRST = Ordering("newest", ("-id",))


@contextmanager
def _fields_as(**names: str) -> Iterator[None]:
    """Name the API's fields in errors where an action names its own (attachment → files)."""
    try:
        yield
    except DomainError as exc:
        if exc.field in names:
            exc.field = names[exc.field]
        raise


def _fetch(request: HttpRequest, number: int) -> Ticket:
    user = request.auth
    return get_ticket_for(user, number, shape=tickets_for_output)


def _fresh(ticket: Ticket) -> dict[str, Any]:
    """The ticket as it is now in the database, for the answer to a change."""
    return ticket_out(tickets_for_output(Ticket.objects.filter(pk=ticket.pk)).get())


def _with_etag(response: HttpResponse, version: int) -> HttpResponse:
    response["ETag"] = f'"{version}"'
    return response


# --- lists ----------------------------------------------------------------------------------


class TicketFilter(Schema):
    view: Literal["active", "closed", "enhancements", "all"] = Field(
        "active", description="active: all but closed (default); closed; enhancements; all."
    )
    q: str = Field("", description="field:value terms and words, see the search docs.")
    service: str | None = Field(None, description="Service slug.")
    owner: str | None = Field(None, description='Username, or "none" for unowned tickets.')
    status: str | None = Field(None, description="One status.")
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, description="next_cursor of the previous page.")


@router.get(
    "/tickets",
    response={200: TicketPage, **ERRORS},
    summary="List the visible tickets",
    url_name="ticket_list",
)
def list_tickets(request: HttpRequest, filters: Query[TicketFilter]) -> dict[str, Any]:
    """Most urgent first (priority, then number); the closed view is newest first."""
    user = request.auth
    qs = visible_tickets(user)
    if filters.view == "active":
        qs = queries.active(user)
    elif filters.view == "closed":
        qs = queries.closed(user)
    elif filters.view == "enhancements":
        qs = queries.enhancements(user)
    if filters.service:
        qs = qs.filter(service=get_service(filters.service))
    if filters.owner:
        if filters.owner.lower() in ("none", "nobody"):
            qs = qs.filter(owner__isnull=True)
        else:
            qs = qs.filter(owner__username=filters.owner)
    if filters.status:
        if filters.status not in Status.values:
            raise InvalidInput(
                _("Unknown status %(status)r; use one of: %(allowed)s.")
                % {"status": filters.status, "allowed": ", ".join(Status.values)},
                field="status",
            )
        qs = qs.filter(status=filters.status)
    qs = search(qs, filters.q)
    ordering = NEWEST_FIRST if filters.view == "closed" else URGENT_FIRST
    rows, next_cursor = page(
        tickets_for_output(qs), ordering, cursor=filters.cursor, limit=filters.limit
    )
    return {"items": [ticket_out(t) for t in rows], "next_cursor": next_cursor}


# --- create ---------------------------------------------------------------------------------


def _digest(payload: TicketCreateIn) -> str:
    raw = json.dumps(payload.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


def _replay(user: User, key: str, digest: str) -> Ticket | None:
    """The ticket a previous request with ``key`` created, if the key is still valid."""
    row = IdempotencyKey.objects.filter(user=user, key=key).first()
    if row is None:
        return None
    if row.created_at < timezone.now() - IDEMPOTENCY_TTL:
        row.delete()
        return None
    if row.body_digest != digest:
        raise InvalidInput(
            _("This Idempotency-Key was already used with a different body."),
            field="Idempotency-Key",
        )
    return row.ticket


@router.post(
    "/tickets",
    response={201: TicketOut, **ERRORS},
    summary="Open a ticket",
    url_name="ticket_create",
)
def create_ticket(
    request: HttpRequest,
    payload: TicketCreateIn,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        description="Retry safely: the same key and body within 24 h return the first ticket.",
        max_length=200,
    ),
) -> Reply[Any]:
    user = request.auth
    key = (idempotency_key or "").strip()
    digest = _digest(payload) if key else ""
    if key:
        earlier = _replay(user, key, digest)
        if earlier is not None:
            return Reply(201, _fresh(earlier))
    requester = user
    # The requester and the service are read together (one round trip on PostgreSQL).
    with read_ahead(*lookups_ahead(user=payload.requester, service=payload.service)):
        if payload.requester:
            try:
                requester = find_user(payload.requester)
            except NotFound as exc:
                raise InvalidInput(exc.message, field="requester") from None
        service = _slug_or_422(get_service, payload.service, "service")
    application = _slug_or_422(get_application, payload.application, "application")

    def create() -> Ticket:
        return actions.create_ticket(
            actor=user,
            channel=payload.channel,
            requester=requester,
            subject=payload.subject,
            description=payload.description,
            service=service,
            application=application,
            severity=payload.severity,
            criticality=payload.criticality,
        )

    if not key:
        # The action is one transaction of its own; wrapping it would only add a savepoint.
        ticket = create()
    else:
        try:
            with transaction.atomic():
                ticket = create()
                IdempotencyKey.objects.create(
                    user=user, key=key, body_digest=digest, ticket=ticket, created_at=timezone.now()
                )
        except IntegrityError:
            # A concurrent request with the same key won; ours was rolled back entirely.
            earlier = _replay(user, key, digest)
            if earlier is None:
                raise
            return Reply(201, _fresh(earlier))
    # Answered from the objects in hand, not read back: the action wrote exactly these values
    # (requester, service and application are the objects it was given) and a new ticket has
    # no watchers yet. tests/api/test_create_path.py checks it equals GET /tickets/{number}.
    return Reply(201, ticket_out(ticket, watchers=()))


def _slug_or_422(getter: Any, slug: str | None, field: str) -> Any:
    if not slug:
        return None
    try:
        return getter(slug)
    except NotFound as exc:
        raise InvalidInput(exc.message, field=field) from None


# --- one ticket -----------------------------------------------------------------------------


@router.get(
    "/tickets/{number}",
    response={200: TicketOut, **ERRORS},
    summary="One ticket",
    url_name="ticket_get",
)
def get_ticket(request: HttpRequest, number: int, response: HttpResponse) -> dict[str, Any]:
    """A merged ticket's number answers with the ticket it was merged into. The ETag header is
    the version to send back in If-Match."""
    ticket = _fetch(request, number)
    response["ETag"] = f'"{ticket.version}"'
    return ticket_out(ticket)


def _check_if_match(ticket: Ticket, if_match: str | None) -> None:
    if not if_match or if_match.strip() == "*":
        return
    wanted = {v.strip().removeprefix("W/").strip('"') for v in if_match.split(",")}
    if str(ticket.version) not in wanted:
        raise Conflict(
            _(
                "The ticket changed since you read it (version %(current)s, not %(sent)s); "
                "read it again and retry."
            )
            % {"current": ticket.version, "sent": if_match.strip()},
            field="If-Match",
        )


@router.patch(
    "/tickets/{number}",
    response={200: TicketOut, **ERRORS},
    summary="Change fields of a ticket",
    url_name="ticket_patch",
)
def patch_ticket(
    request: HttpRequest,
    number: int,
    payload: TicketPatchIn,
    response: HttpResponse,
    if_match: str | None = Header(
        None, alias="If-Match", description='The ETag you read ("7"); 409 if it changed since.'
    ),
) -> dict[str, Any]:
    """Status and service change only through /transitions and /reroute. All the changes of one
    PATCH apply together or not at all."""
    user = request.auth
    ticket = _fetch(request, number)
    sent = payload.model_dump(exclude_unset=True)
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        _check_if_match(locked, if_match)
        if "subject" in sent:
            _not_null(sent, "subject")
            actions.edit_subject(ticket, actor=user, channel=CHANNEL, subject=sent["subject"])
        if {"application", "severity", "criticality"} & sent.keys():
            application_slug = sent.get("application")
            actions.classify(
                ticket,
                actor=user,
                channel=CHANNEL,
                severity=sent.get("severity"),
                criticality=sent.get("criticality"),
                application=_slug_or_422(get_application, application_slug, "application"),
                clear_application="application" in sent and not application_slug,
            )
        if "priority" in sent:
            _not_null(sent, "priority")
            actions.set_priority(
                ticket,
                actor=user,
                channel=CHANNEL,
                priority=sent["priority"] or None,
                reason=sent.get("reason") or "",
            )
        elif sent.get("reason"):
            raise InvalidInput(_("reason goes with priority."), field="reason")
        if "tags" in sent:
            _not_null(sent, "tags")
            actions.set_tags(ticket, actor=user, channel=CHANNEL, tags=sent["tags"])
        if "owner" in sent:
            owner_name = sent["owner"]
            owner = None
            if owner_name:
                try:
                    owner = find_user(owner_name)
                except NotFound as exc:
                    raise InvalidInput(exc.message, field="owner") from None
            actions.assign(ticket, actor=user, channel=CHANNEL, owner=owner)
    fresh = _fresh(ticket)
    response["ETag"] = f'"{fresh["version"]}"'
    return fresh


def _not_null(sent: dict[str, Any], field: str) -> None:
    if sent[field] is None:
        raise InvalidInput(_("%(field)s may not be null.") % {"field": field}, field=field)


@router.post(
    "/tickets/{number}/transitions",
    response={200: TicketOut, **ERRORS},
    summary="Change the status, with an observation comment",
    url_name="ticket_transition",
)
def transition(request: HttpRequest, number: int, payload: TransitionIn) -> dict[str, Any]:
    """A requester closes a resolved ticket (confirms the fix) or reopens it within the window;
    a manager decides an enhancement request (open = accepted, closed = rejected); agents follow
    the life cycle. 409 names the statuses allowed from the current one."""
    user = request.auth
    ticket = _fetch(request, number)
    try:
        _dispatch_transition(user, ticket, payload)
    except Conflict as exc:
        if exc.field == "status":
            current = Ticket.objects.only("status").get(pk=ticket.pk).status
            exc.allowed = lifecycle.allowed_from(current)  # type: ignore[attr-defined]
        raise
    return _fresh(ticket)


def _dispatch_transition(user: User, ticket: Ticket, payload: TransitionIn) -> None:
    status, comment = payload.status, payload.comment
    deciding = ticket.status == Status.PENDING_DECISION and can(user, Action.DECIDE, ticket)
    if deciding and status in (Status.OPEN, Status.CLOSED):
        actions.decide_enhancement(
            ticket, actor=user, channel=CHANNEL, accept=status == Status.OPEN, comment=comment
        )
        return
    if not is_agent(user) and ticket.status == Status.RESOLVED:
        if status == Status.CLOSED:
            if not comment.strip():
                raise InvalidInput(_("An observation comment is required."), field="comment")
            actions.confirm_resolution(ticket, actor=user, channel=CHANNEL, comment=comment)
            return
        if status == Status.OPEN:
            actions.requester_reopen(ticket, actor=user, channel=CHANNEL, comment=comment)
            return
    extra: dict[str, Any] = {}
    if payload.override_dependencies:
        extra["override_dependencies"] = True
    actions.change_status(
        ticket,
        actor=user,
        channel=CHANNEL,
        status=status,
        comment=comment,
        visibility=payload.visibility,
        **extra,
    )


@router.post(
    "/tickets/{number}/reroute",
    response={200: TicketOut, **ERRORS},
    summary="Re-route to another service, with a justification",
    url_name="ticket_reroute",
)
def reroute(request: HttpRequest, number: int, payload: RerouteIn) -> dict[str, Any]:
    ticket = _fetch(request, number)
    service = _slug_or_422(get_service, payload.service, "service")
    actions.reroute(
        ticket, actor=request.auth, channel=CHANNEL, service=service, comment=payload.comment
    )
    return _fresh(ticket)


# --- comments, events, watchers, attachments -------------------------------------------------


@router.get(
    "/tickets/{number}/comments",
    response={200: list[CommentOut], **ERRORS},
    summary="Replies and notes, oldest first",
    url_name="ticket_comments",
)
def list_comments(request: HttpRequest, number: int) -> list[dict[str, Any]]:
    """Internal notes only for those who may read them."""
    ticket = _fetch(request, number)
    qs = Comment.objects.filter(ticket_id=ticket.pk).order_by("id")
    if not can(request.auth, Action.READ_INTERNAL, ticket):
        qs = qs.filter(visibility=Visibility.PUBLIC)
    return [comment_out(c) for c in comments_for_output(qs)]


@router.post(
    "/tickets/{number}/comments",
    response={201: CommentOut, **ERRORS},
    summary="Reply, or add an internal note (with time spent)",
    url_name="ticket_comment",
)
def add_comment(request: HttpRequest, number: int, payload: CommentIn) -> Reply[Any]:
    ticket = _fetch(request, number)
    activity = None
    if payload.activity:
        activity = ActivityType.objects.filter(slug=payload.activity).first()
        if activity is None:
            raise InvalidInput(
                _("There is no activity type %(slug)s.") % {"slug": payload.activity},
                field="activity",
            )
    comment = actions.add_comment(
        ticket,
        actor=request.auth,
        channel=CHANNEL,
        body=payload.body,
        visibility=payload.visibility,
        time_spent_minutes=payload.time_spent_minutes,
        activity=activity,
        billable=payload.billable,
        work_date=payload.date,
    )
    return Reply(201, comment_out(comments_for_output(Comment.objects.filter(pk=comment.pk)).get()))


@router.get(
    "/tickets/{number}/events",
    response={200: list[EventOut], **ERRORS},
    summary="The history, oldest first",
    url_name="ticket_events",
)
def list_events(request: HttpRequest, number: int) -> list[dict[str, Any]]:
    ticket = _fetch(request, number)
    qs = Event.objects.filter(ticket_id=ticket.pk).order_by("seq")
    if not can(request.auth, Action.READ_INTERNAL, ticket):
        qs = qs.filter(internal=False)
    return [event_out(e) for e in qs]


@router.post(
    "/tickets/{number}/watchers",
    response={200: TicketOut, **ERRORS},
    summary="Add a watcher (Cc or AdminCc)",
    url_name="ticket_watcher_add",
)
def add_watcher(request: HttpRequest, number: int, payload: WatcherIn) -> dict[str, Any]:
    ticket = _fetch(request, number)
    watcher = _user_or_422(payload.username, "username")
    with _fields_as(user="username"):
        actions.add_watcher(
            ticket, actor=request.auth, channel=CHANNEL, user=watcher, kind=payload.kind
        )
    return _fresh(ticket)


@router.delete(
    "/tickets/{number}/watchers/{username}",
    response={200: TicketOut, **ERRORS},
    summary="Remove a watcher",
    url_name="ticket_watcher_remove",
)
def remove_watcher(
    request: HttpRequest,
    number: int,
    username: str,
    kind: Literal["cc", "admincc"] = WatcherKind.CC,
) -> dict[str, Any]:
    ticket = _fetch(request, number)
    watcher = _user_or_422(username, "username")
    actions.remove_watcher(ticket, actor=request.auth, channel=CHANNEL, user=watcher, kind=kind)
    return _fresh(ticket)


def _user_or_422(name: str, field: str) -> User:
    try:
        return find_user(name)
    except NotFound as exc:
        raise InvalidInput(exc.message, field=field) from None


@router.post(
    "/tickets/{number}/attachments",
    response={201: list[AttachmentOut], **ERRORS},
    summary="Attach files (multipart, field name: files)",
    url_name="ticket_attach",
)
def attach(request: HttpRequest, number: int, files: File[list[UploadedFile]]) -> Reply[Any]:
    ticket = _fetch(request, number)
    if not files:
        raise InvalidInput(_("Send at least one file."), field="files")
    uploads = [
        actions.Upload(
            name=f.name or "file",
            content=f,
            content_type=f.content_type or "application/octet-stream",
        )
        for f in files
    ]
    with _fields_as(attachment="files"):
        created = actions.add_attachments(
            ticket, actor=request.auth, channel=CHANNEL, uploads=uploads
        )
    return Reply(201, [attachment_out(a) for a in created])


@router.get(
    "/attachments/{attachment_id}",
    response={200: None, **ERRORS},
    summary="Download a file",
    url_name="attachment_get",
)
def download(request: HttpRequest, attachment_id: int) -> HttpResponse:
    attachment: Attachment = get_attachment_for(request.auth, attachment_id)
    handle = attachment.file.open("rb")
    return FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type or "application/octet-stream",
    )


# --- links, merge, split --------------------------------------------------------------------


def _links_out(ticket: Ticket) -> list[dict[str, Any]]:
    return [
        {
            "id": view.id,
            "kind": view.kind,
            "direction": "outgoing" if view.outgoing else "incoming",
            "label": view.label,
            "ticket": view.other.pk,
            "subject": view.other.subject,
            "status": view.other.status,
        }
        for view in links.links_of(ticket)
    ]


@router.get(
    "/tickets/{number}/links",
    response={200: list[LinkOut], **ERRORS},
    summary="Links of a ticket, both ways",
    url_name="ticket_links",
)
def list_links(request: HttpRequest, number: int) -> list[dict[str, Any]]:
    """Only links to tickets the caller may see."""
    ticket = _fetch(request, number)
    visible = set(
        visible_tickets(request.auth)
        .filter(pk__in=[v["ticket"] for v in _links_out(ticket)])
        .values_list("pk", flat=True)
    )
    return [v for v in _links_out(ticket) if v["ticket"] in visible]


@router.post(
    "/tickets/{number}/links",
    response={201: list[LinkOut], **ERRORS},
    summary="Link to another ticket (depends_on, parent_of, refers_to, duplicate_of, master_of)",
    url_name="ticket_link",
)
def add_link(request: HttpRequest, number: int, payload: LinkIn) -> Reply[Any]:
    ticket = _fetch(request, number)
    links.add_link(
        ticket, actor=request.auth, channel=CHANNEL, kind=payload.kind, target=payload.target
    )
    return Reply(201, _links_out(ticket))


@router.delete(
    "/tickets/{number}/links/{link_id}",
    response={200: list[LinkOut], **ERRORS},
    summary="Remove a link",
    url_name="ticket_unlink",
)
def remove_link(request: HttpRequest, number: int, link_id: int) -> list[dict[str, Any]]:
    ticket = _fetch(request, number)
    links.remove_link(ticket, actor=request.auth, channel=CHANNEL, link_id=link_id)
    return _links_out(ticket)


@router.post(
    "/tickets/{number}/merge",
    response={200: TicketOut, **ERRORS},
    summary="Merge this ticket into another; answers the survivor",
    url_name="ticket_merge",
)
def merge(request: HttpRequest, number: int, payload: MergeIn) -> dict[str, Any]:
    ticket = _fetch(request, number)
    survivor = links.merge(
        ticket, actor=request.auth, channel=CHANNEL, into=payload.into, comment=payload.comment
    )
    return _fresh(survivor)


@router.post(
    "/tickets/{number}/split",
    response={201: TicketOut, **ERRORS},
    summary="A comment of this ticket becomes a new ticket that refers to it",
    url_name="ticket_split",
)
def split(request: HttpRequest, number: int, payload: SplitIn) -> Reply[Any]:
    ticket = _fetch(request, number)
    new = links.split(
        ticket,
        actor=request.auth,
        channel=CHANNEL,
        comment_id=payload.event,
        subject=payload.subject,
    )
    return Reply(201, _fresh(new))
