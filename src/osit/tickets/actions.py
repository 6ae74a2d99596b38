"""Everything that changes a ticket (STYLE §1): validate, apply, record, notify — atomically.

Each action takes a keyword-only ``actor`` (a user; automatic work uses ``system_user()``) and the
``channel`` it came through. It re-reads the ticket under a row lock, checks the policy, writes the
change, appends hash-chained history events and queues notifications in one transaction. Views,
API endpoints, CLI commands, the mail gateway and jobs call these and never save a ticket
themselves. Errors are ``osit.core.errors`` exceptions carrying a message a person can act on.
"""

from __future__ import annotations

import contextlib
import hashlib
import mimetypes
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import Any, BinaryIO

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from osit.audit.chain import PendingEvent, append
from osit.core.errors import Conflict, Forbidden, InvalidInput
from osit.core.queries import insert
from osit.directory.models import Application, Service, User
from osit.tickets import lifecycle, notify
from osit.tickets.choices import (
    Channel,
    Criticality,
    Severity,
    Status,
    TicketType,
    Visibility,
    WatcherKind,
)
from osit.tickets.models import (
    ActivityType,
    Attachment,
    Comment,
    Ticket,
    TimeEntry,
    Watcher,
)
from osit.tickets.policy import (
    Action,
    can,
    forbidden_message,
    forget_linked_tickets,
    is_agent,
    reopen_window_open,
    require,
)
from osit.tickets.priority import compute_priority

SYSTEM_USERNAME = "osit-system"
MAX_SUBJECT = 250


def system_user() -> User:
    """The actor of automatic work (jobs, rules). It cannot log in."""
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"first_name": "OSIT", "last_name": "(automatic)", "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@dataclass(frozen=True)
class Upload:
    """A file handed to an action: its name, type and content (bytes or an open file)."""

    name: str
    content: bytes | BinaryIO
    content_type: str = ""

    def read_all(self, limit: int) -> bytes:
        if isinstance(self.content, bytes | bytearray):
            data = bytes(self.content)
        else:
            data = self.content.read(limit + 1)
        return data


class _History:
    """Collects the events of one action; written last, chained, in the action's transaction."""

    def __init__(self, actor: User, channel: str, ticket: Ticket | None = None) -> None:
        self.actor, self.channel, self.ticket = actor, channel, ticket
        self.events: list[PendingEvent] = []

    def add(
        self,
        event_kind: str,
        /,
        *,
        internal: bool = False,
        ticket: Ticket | None = None,
        **data: Any,
    ) -> None:
        target = ticket or self.ticket
        self.events.append(
            PendingEvent(
                kind=event_kind,
                channel=self.channel,
                actor_id=self.actor.pk,
                actor_label=self.actor.display_name,
                ticket_id=target.pk if target else None,
                internal=internal,
                data=data,
            )
        )

    def write(self, at: datetime) -> None:
        append(self.events, at=at)


# --- helpers ----------------------------------------------------------------------------------


def _lock(ticket: Ticket) -> Ticket:
    """Re-read ``ticket`` under a row lock: decisions are taken on the committed state."""
    # of=self: PostgreSQL cannot lock the nullable side of the outer join to the service.
    return (
        Ticket.objects.select_for_update(of=("self",)).select_related("service").get(pk=ticket.pk)
    )


def _require_text(value: str | None, *, field: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(message, field=field)
    return text


def _observation(comment: str | None) -> str:
    return _require_text(
        comment,
        field="comment",
        message=_("An observation comment is required to change the status."),
    )


def _choice(value: str, choices: type[models.TextChoices], *, field: str) -> str:
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise InvalidInput(
            _("%(value)r is not a valid %(field)s (choose one of: %(allowed)s).")
            % {"value": value, "field": field, "allowed": allowed},
            field=field,
        )
    return value


def _save(ticket: Ticket, now: datetime, *fields: str) -> None:
    ticket.updated_at = now
    ticket.version += 1
    ticket.save(update_fields=[*fields, "updated_at", "version"])


def _new_comment(
    ticket: Ticket, *, actor: User, channel: str, body: str, visibility: str, now: datetime
) -> Comment:
    comment = Comment.objects.create(
        ticket=ticket,
        author=actor,
        body=body,
        visibility=visibility,
        channel=channel,
        created_at=now,
    )
    ticket.comment_count += 1
    return comment


def _store_uploads(
    ticket: Ticket,
    uploads: Sequence[Upload],
    *,
    actor: User,
    comment: Comment | None,
    internal: bool,
    now: datetime,
    history: _History,
) -> list[Attachment]:
    limit = settings.OSIT_MAX_ATTACHMENT_BYTES
    stored = []
    for upload in uploads:
        data = upload.read_all(limit)
        name = (upload.name or "attachment").replace("\\", "/").rsplit("/", 1)[-1][:255]
        if len(data) > limit:
            raise InvalidInput(
                _("%(name)s is larger than the %(limit)s MB limit for attachments.")
                % {"name": name, "limit": limit // (1024 * 1024)},
                field="attachment",
            )
        digest = hashlib.sha256(data).hexdigest()
        content_type = (
            upload.content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        )
        attachment = Attachment(
            ticket=ticket,
            comment=comment,
            filename=name,
            content_type=content_type[:150],
            size=len(data),
            sha256=digest,
            uploaded_by=actor,
            internal=internal,
            created_at=now,
        )
        attachment.file.save(name, ContentFile(data), save=False)
        attachment.save()
        _delete_file_on_rollback(attachment)
        history.add(
            "attachment_added",
            internal=internal,
            attachment_id=attachment.pk,
            filename=name,
            size=len(data),
            sha256=digest,
        )
        stored.append(attachment)
    return stored


_written = threading.local()


def _delete_file_on_rollback(attachment: Attachment) -> None:
    # Nothing half-written stays behind: if the action's transaction rolls back, the row goes
    # and the file stored for it must go too. The storage never overwrites (it picks a free
    # name), so the path written here belongs to this row alone.
    stack = getattr(_written, "stack", None)
    if stack:
        stack[-1].append((attachment.file.storage, attachment.file.name))


class _atomic_action:
    """``transaction.atomic`` that also removes the files written by an action that failed."""

    def __enter__(self) -> None:
        if not hasattr(_written, "stack"):
            _written.stack = []
        _written.stack.append([])
        self._atomic = transaction.atomic()
        self._atomic.__enter__()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        files = _written.stack.pop()
        try:
            self._atomic.__exit__(exc_type, exc, tb)
        except BaseException:
            exc_type = exc_type or Exception
            raise
        finally:
            if exc_type is not None:
                for storage, name in files:
                    with contextlib.suppress(OSError):
                        storage.delete(name)
            elif _written.stack:
                # Nested in an outer action: its rollback must still remove these files.
                _written.stack[-1].extend(files)


# --- creation ---------------------------------------------------------------------------------


def create_ticket(
    *,
    actor: User,
    channel: str,
    requester: User,
    subject: str,
    description: str = "",
    service: Service | None = None,
    application: Application | None = None,
    severity: str = Severity.MODERATE,
    criticality: str = Criticality.NON_BLOCKING,
    ticket_type: str | None = None,
    uploads: Sequence[Upload] = (),
    now: datetime | None = None,
) -> Ticket:
    """Open a ticket for ``requester``.

    An agent may create for anyone and must name a service (or an application whose service is
    used). A requester creates for themselves only; without a service the ticket waits, status
    ``new``, for first-level routing. An ``enhancement`` goes straight to ``pending_decision``.
    """
    now = now or timezone.now()
    subject = _require_text(subject, field="subject", message=_("A subject is required."))
    if len(subject) > MAX_SUBJECT:
        raise InvalidInput(
            _("The subject is %(length)d characters long; the limit is %(limit)d.")
            % {"length": len(subject), "limit": MAX_SUBJECT},
            field="subject",
        )
    _choice(channel, Channel, field="channel")
    _choice(severity, Severity, field="severity")
    _choice(criticality, Criticality, field="criticality")
    if ticket_type is not None:
        _choice(ticket_type, TicketType, field="type")
    agent = is_agent(actor)
    if not agent and requester.pk != actor.pk:
        raise Forbidden(_("You may only create tickets for yourself."))
    if not requester.is_active:
        raise InvalidInput(
            _("%(user)s is not an active user.") % {"user": requester.username},
            field="requester",
        )
    if service is None and application is not None:
        service = application.service
    if service is None and agent:
        raise InvalidInput(_("Choose the service this ticket is assigned to."), field="service")
    if service is not None and not service.is_active:
        raise InvalidInput(
            _("The service %(name)s is no longer active.") % {"name": service.name},
            field="service",
        )
    enhancement = criticality == Criticality.ENHANCEMENT
    status = Status.PENDING_DECISION if enhancement else Status.NEW
    with _atomic_action():
        ticket = Ticket(
            subject=subject,
            description=(description or "").strip(),
            requester=requester,
            organisation_id=requester.organisation_id,
            site_id=requester.site_id,
            application=application,
            service=service,
            created_by=actor,
            channel=channel,
            type=ticket_type or (TicketType.ENHANCEMENT if enhancement else TicketType.INCIDENT),
            severity=severity,
            criticality=criticality,
            priority=compute_priority(
                severity, criticality, service.priority_matrix if service else None
            ),
            status=status,
            created_at=now,
            updated_at=now,
            status_changed_at=now,
        )
        insert(ticket)  # save(force_insert=True), its INSERT composed once
        history = _History(actor, channel, ticket)
        history.add(
            "created",
            subject=subject,
            requester=requester.username,
            service=service.slug if service else None,
            application=application.slug if application else None,
            severity=severity,
            criticality=criticality,
            priority=ticket.priority,
            status=status,
        )
        _store_uploads(
            ticket, uploads, actor=actor, comment=None, internal=False, now=now, history=history
        )
        notify.ticket_created(ticket, actor=actor)
        # Last: appending locks the head of the hash chain until the commit, so every other
        # write (the acknowledgement above) stays outside the section that all creates share.
        history.write(now)
    return ticket


# --- status -----------------------------------------------------------------------------------


def change_status(
    ticket: Ticket,
    *,
    actor: User,
    channel: str,
    status: str,
    comment: str,
    visibility: str = Visibility.PUBLIC,
    override_dependencies: bool = False,
    now: datetime | None = None,
) -> Ticket:
    """Move ``ticket`` to ``status`` with a mandatory observation comment.

    Raises InvalidInput for a blank comment or an unknown status, Conflict naming the allowed
    statuses for a move the life cycle forbids, Forbidden when the actor's role may not.
    Resolving or closing a ticket that depends on tickets not yet resolved or closed is refused
    (Conflict naming them) unless ``override_dependencies``. Resolving or closing a master does
    the same to its slaves (and theirs), with the master's comment, in the same transaction.
    """
    now = now or timezone.now()
    body = _observation(comment)
    _choice(status, Status, field="status")
    _choice(visibility, Visibility, field="visibility")
    with _atomic_action():
        ticket = _lock(ticket)
        old = ticket.status
        _check_transition(ticket, actor, old, status)
        if not override_dependencies:
            _check_dependencies(ticket, status)
        history = _History(actor, channel, ticket)
        _apply_status(
            ticket,
            history,
            actor=actor,
            channel=channel,
            new=status,
            body=body,
            visibility=visibility,
            now=now,
        )
        history.write(now)
        if status in (Status.RESOLVED, Status.CLOSED):
            _carry_slaves(
                ticket,
                actor=actor,
                channel=channel,
                status=status,
                body=body,
                visibility=visibility,
                now=now,
            )
    return ticket


def _check_dependencies(ticket: Ticket, new: str) -> None:
    from osit.tickets.links import open_dependencies

    if new not in (Status.RESOLVED, Status.CLOSED):
        return
    blocking = open_dependencies(ticket)
    if blocking:
        raise Conflict(
            _(
                "This ticket depends on %(tickets)s, not resolved yet; resolve them "
                "first or override the dependencies."
            )
            % {"tickets": ", ".join(f"#{n}" for n in blocking)},
            field="status",
        )


def _carry_slaves(
    master: Ticket,
    *,
    actor: User,
    channel: str,
    status: str,
    body: str,
    visibility: str,
    now: datetime,
) -> None:
    """Give ``master``'s new status and comment to its slaves, and to their slaves in turn.

    A slave already resolved or closed, or one whose status cannot move there (an enhancement
    pending decision cannot be resolved), is left alone. The master's decision stands for its
    slaves: their own rights and dependencies are not checked again.
    """
    from osit.tickets.links import slaves_of

    seen = {master.pk}
    masters = [master]
    while masters:
        current = masters.pop(0)
        for slave in slaves_of(current):
            if slave.pk in seen:
                continue
            seen.add(slave.pk)
            slave = _lock(slave)
            if slave.status in (Status.RESOLVED, Status.CLOSED) or not lifecycle.is_allowed(
                slave.status, status
            ):
                continue
            history = _History(actor, channel, slave)
            _apply_status(
                slave,
                history,
                actor=actor,
                channel=channel,
                new=status,
                body=body,
                visibility=visibility,
                now=now,
            )
            history.add("followed_master", master=current.pk, new=status)
            history.write(now)
            masters.append(slave)


def _check_transition(ticket: Ticket, actor: User, old: str, new: str) -> None:
    if old == new:
        raise Conflict(
            _("The ticket is already %(status)s.") % {"status": lifecycle.label(old)},
            field="status",
        )
    if not lifecycle.is_allowed(old, new):
        allowed = ", ".join(lifecycle.label(s) for s in lifecycle.allowed_from(old))
        raise Conflict(
            _("A %(old)s ticket cannot become %(new)s; allowed: %(allowed)s.")
            % {"old": lifecycle.label(old), "new": lifecycle.label(new), "allowed": allowed},
            field="status",
        )
    if old == Status.PENDING_DECISION:
        if not can(actor, Action.DECIDE, ticket):
            raise Forbidden(forbidden_message(Action.DECIDE))
    elif old == Status.CLOSED:
        require(actor, Action.REOPEN, ticket)
    elif new == Status.CLOSED:
        require(actor, Action.CLOSE, ticket)
    else:
        require(actor, Action.CHANGE_STATUS, ticket)


def _apply_status(
    ticket: Ticket,
    history: _History,
    *,
    actor: User,
    channel: str,
    new: str,
    body: str,
    visibility: str,
    now: datetime,
    kind: str = "status_changed",
) -> Comment:
    old = ticket.status
    comment = _new_comment(
        ticket, actor=actor, channel=channel, body=body, visibility=visibility, now=now
    )
    ticket.status = new
    ticket.status_changed_at = now
    fields = ["status", "status_changed_at", "comment_count"]
    if new == Status.RESOLVED:
        ticket.resolved_at = now
        fields.append("resolved_at")
    if new == Status.CLOSED:
        ticket.closed_at = now
        fields.append("closed_at")
    if old in (Status.CLOSED, Status.RESOLVED) and new == Status.OPEN:
        ticket.closed_at = None
        ticket.resolved_at = None
        fields += ["closed_at", "resolved_at"]
    _save(ticket, now, *dict.fromkeys(fields))
    history.add(
        kind, internal=visibility == Visibility.INTERNAL, old=old, new=new, comment_id=comment.pk
    )
    notify.status_changed(ticket, actor=actor, old=old, new=new, comment=comment)
    return comment


def decide_enhancement(
    ticket: Ticket,
    *,
    actor: User,
    channel: str,
    accept: bool,
    comment: str,
    now: datetime | None = None,
) -> Ticket:
    """A manager accepts (→ open) or rejects (→ closed) an enhancement request."""
    now = now or timezone.now()
    body = _require_text(
        comment, field="comment", message=_("A comment is required to accept or reject a request.")
    )
    with _atomic_action():
        ticket = _lock(ticket)
        if ticket.status != Status.PENDING_DECISION:
            raise Conflict(
                _(
                    "Only a ticket pending decision can be accepted or rejected; this one is "
                    "%(status)s."
                )
                % {"status": lifecycle.label(ticket.status)},
                field="status",
            )
        require(actor, Action.DECIDE, ticket)
        history = _History(actor, channel, ticket)
        _apply_status(
            ticket,
            history,
            actor=actor,
            channel=channel,
            new=Status.OPEN if accept else Status.CLOSED,
            body=body,
            visibility=Visibility.PUBLIC,
            now=now,
            kind="enhancement_accepted" if accept else "enhancement_rejected",
        )
        history.write(now)
    return ticket


def confirm_resolution(
    ticket: Ticket, *, actor: User, channel: str, comment: str = "", now: datetime | None = None
) -> Ticket:
    """The requester confirms a resolved ticket is fixed: it closes."""
    now = now or timezone.now()
    with _atomic_action():
        ticket = _lock(ticket)
        if ticket.status != Status.RESOLVED:
            raise Conflict(
                _("Only a resolved ticket can be confirmed; this one is %(status)s.")
                % {"status": lifecycle.label(ticket.status)},
                field="status",
            )
        require(actor, Action.CONFIRM, ticket)
        body = (comment or "").strip() or _("The requester confirmed that the problem is fixed.")
        history = _History(actor, channel, ticket)
        _apply_status(
            ticket,
            history,
            actor=actor,
            channel=channel,
            new=Status.CLOSED,
            body=body,
            visibility=Visibility.PUBLIC,
            now=now,
            kind="confirmed",
        )
        history.write(now)
    return ticket


def requester_reopen(
    ticket: Ticket, *, actor: User, channel: str, comment: str, now: datetime | None = None
) -> Ticket:
    """The requester says a resolved ticket is not fixed, within the reopening window."""
    now = now or timezone.now()
    body = _require_text(
        comment, field="comment", message=_("Say what is still wrong to reopen the ticket.")
    )
    with _atomic_action():
        ticket = _lock(ticket)
        if ticket.status != Status.RESOLVED:
            raise Conflict(
                _(
                    "Only a resolved ticket can be reopened by its requester; this one is "
                    "%(status)s."
                )
                % {"status": lifecycle.label(ticket.status)},
                field="status",
            )
        if ticket.requester_id != actor.pk:
            raise Forbidden(forbidden_message(Action.REQUESTER_REOPEN))
        if not reopen_window_open(ticket, now):
            raise Conflict(
                _(
                    "The %(days)d-day window to reopen this ticket has passed; please open "
                    "a new ticket."
                )
                % {"days": settings.OSIT_REOPEN_WINDOW_DAYS},
                field="status",
            )
        history = _History(actor, channel, ticket)
        _apply_status(
            ticket,
            history,
            actor=actor,
            channel=channel,
            new=Status.OPEN,
            body=body,
            visibility=Visibility.PUBLIC,
            now=now,
            kind="reopened_by_requester",
        )
        history.write(now)
    return ticket


def auto_close_resolved(*, now: datetime | None = None, batch_size: int = 200) -> int:
    """Close tickets resolved more than OSIT_AUTOCLOSE_DAYS ago. Safe with several workers.

    Each batch claims its rows with ``SELECT … FOR UPDATE SKIP LOCKED`` so two workers never
    close the same ticket twice; returns how many tickets this call closed.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.OSIT_AUTOCLOSE_DAYS)
    actor = system_user()
    body = _(
        "Closed automatically: resolved %(days)d days ago without an answer from the requester."
    ) % {"days": settings.OSIT_AUTOCLOSE_DAYS}
    closed = 0
    while True:
        with _atomic_action():
            batch = list(
                Ticket.objects.select_for_update(skip_locked=True)
                .filter(status=Status.RESOLVED, resolved_at__lte=cutoff)
                .order_by("resolved_at")[:batch_size]
            )
            if not batch:
                return closed
            history = _History(actor, Channel.SYSTEM)
            for ticket in batch:
                history.ticket = ticket
                _apply_status(
                    ticket,
                    history,
                    actor=actor,
                    channel=Channel.SYSTEM,
                    new=Status.CLOSED,
                    body=body,
                    visibility=Visibility.PUBLIC,
                    now=now,
                    kind="auto_closed",
                )
            history.write(now)
            closed += len(batch)
        if len(batch) < batch_size:
            return closed


# --- routing and ownership --------------------------------------------------------------------


def reroute(
    ticket: Ticket,
    *,
    actor: User,
    channel: str,
    service: Service,
    comment: str,
    now: datetime | None = None,
) -> Ticket:
    """Move ``ticket`` to ``service`` with a mandatory justification; the owner is cleared."""
    now = now or timezone.now()
    body = _require_text(
        comment, field="comment", message=_("A justification is required to re-route a ticket.")
    )
    if not service.is_active:
        raise InvalidInput(
            _("The service %(name)s is no longer active.") % {"name": service.name},
            field="service",
        )
    with _atomic_action():
        ticket = _lock(ticket)
        if ticket.status == Status.CLOSED:
            raise Conflict(
                _("A closed ticket cannot be re-routed; reopen it first."), field="status"
            )
        require(actor, Action.REROUTE, ticket)
        if ticket.service_id == service.pk:
            raise InvalidInput(
                _("The ticket is already in %(service)s.") % {"service": service.name},
                field="service",
            )
        old_service = ticket.service
        old_owner = ticket.owner
        history = _History(actor, channel, ticket)
        # The justification travels with the ticket as a note: everything learnt so far.
        note = _new_comment(
            ticket, actor=actor, channel=channel, body=body, visibility=Visibility.INTERNAL, now=now
        )
        ticket.service = service
        ticket.owner = None
        old_priority = ticket.priority
        if ticket.priority_reason == "":
            # The priority comes from the matrix of the ticket's service: the new one now.
            ticket.priority = compute_priority(
                ticket.severity, ticket.criticality, service.priority_matrix
            )
        _save(ticket, now, "service", "owner", "priority", "comment_count")
        history.add(
            "rerouted",
            internal=False,
            old=old_service.slug if old_service else None,
            new=service.slug,
            owner_cleared=old_owner.username if old_owner else None,
            comment_id=note.pk,
        )
        if ticket.priority != old_priority:
            history.add("field_changed", field="priority", old=old_priority, new=ticket.priority)
        history.write(now)
        notify.rerouted(
            ticket, actor=actor, old_service=old_service, comment=note, old_owner=old_owner
        )
    return ticket


def assign(
    ticket: Ticket, *, actor: User, channel: str, owner: User | None, now: datetime | None = None
) -> Ticket:
    """Give ``ticket`` to ``owner`` (a member of its service), or to nobody."""
    now = now or timezone.now()
    with _atomic_action():
        ticket = _lock(ticket)
        taking = owner is not None and owner.pk == actor.pk
        if taking and not can(actor, Action.ASSIGN, ticket):
            require(actor, Action.TAKE, ticket)
        elif not taking:
            require(actor, Action.ASSIGN, ticket)
        if owner is not None and ticket.service_id not in owner.service_ids:
            raise InvalidInput(
                _("%(user)s is not a member of %(service)s.")
                % {
                    "user": owner.display_name,
                    "service": ticket.service.name if ticket.service else _("any service"),
                },
                field="owner",
            )
        if ticket.owner_id == (owner.pk if owner else None):
            return ticket
        old = ticket.owner
        ticket.owner = owner
        history = _History(actor, channel, ticket)
        fields = ["owner"]
        if owner is not None and ticket.status == Status.NEW:
            # Taking a new ticket is starting to work on it.
            ticket.status = Status.OPEN
            ticket.status_changed_at = now
            fields += ["status", "status_changed_at"]
            history.add("status_changed", old=Status.NEW, new=Status.OPEN, comment_id=None)
        _save(ticket, now, *fields)
        history.add(
            "owner_changed",
            old=old.username if old else None,
            new=owner.username if owner else None,
        )
        history.write(now)
        if owner is not None and owner.pk != actor.pk:
            notify.assigned(ticket, actor=actor, owner=owner)
    return ticket


def take(ticket: Ticket, *, actor: User, channel: str, now: datetime | None = None) -> Ticket:
    return assign(ticket, actor=actor, channel=channel, owner=actor, now=now)


# --- comments, interventions, attachments ----------------------------------------------------


def add_comment(
    ticket: Ticket,
    *,
    actor: User,
    channel: str,
    body: str,
    visibility: str = Visibility.PUBLIC,
    time_spent_minutes: int = 0,
    activity: ActivityType | None = None,
    billable: bool | None = None,
    work_date: date | None = None,
    uploads: Sequence[Upload] = (),
    now: datetime | None = None,
) -> Comment:
    """A public reply or an internal note, optionally reporting an intervention's time.

    A requester's reply to a resolved or pending-customer ticket puts it back to ``open``.
    """
    now = now or timezone.now()
    text = _require_text(body, field="body", message=_("The comment is empty."))
    _choice(visibility, Visibility, field="visibility")
    if time_spent_minutes < 0 or time_spent_minutes > 24 * 60 * 7:
        raise InvalidInput(
            _("Time spent must be between 0 and 10080 minutes (a week)."),
            field="time_spent_minutes",
        )
    with _atomic_action():
        ticket = _lock(ticket)
        internal = visibility == Visibility.INTERNAL
        require(actor, Action.NOTE if internal else Action.REPLY, ticket)
        if time_spent_minutes:
            require(actor, Action.LOG_TIME, ticket)
        if uploads:
            require(actor, Action.ATTACH, ticket)
        history = _History(actor, channel, ticket)
        comment = _new_comment(
            ticket, actor=actor, channel=channel, body=text, visibility=visibility, now=now
        )
        fields = ["comment_count"]
        history.add(
            "note_added" if internal else "reply_added", internal=internal, comment_id=comment.pk
        )
        if time_spent_minutes:
            entry = TimeEntry.objects.create(
                ticket=ticket,
                comment=comment,
                technician=actor,
                minutes=time_spent_minutes,
                date=work_date or timezone.localdate(now),
                activity=activity,
                billable=activity.billable_by_default
                if billable is None and activity
                else (True if billable is None else billable),
                text=text,
                created_at=now,
            )
            ticket.time_spent_minutes += time_spent_minutes
            fields.append("time_spent_minutes")
            history.add(
                "time_logged",
                internal=True,
                time_entry_id=entry.pk,
                minutes=time_spent_minutes,
                activity=activity.slug if activity else None,
                billable=entry.billable,
                date=entry.date.isoformat(),
            )
        _store_uploads(
            ticket,
            uploads,
            actor=actor,
            comment=comment,
            internal=internal,
            now=now,
            history=history,
        )
        is_requester = ticket.requester_id == actor.pk and not is_agent(actor)
        if (
            is_requester
            and not internal
            and ticket.status in (Status.RESOLVED, Status.PENDING_CUSTOMER)
        ):
            old = ticket.status
            ticket.status = Status.OPEN
            ticket.status_changed_at = now
            ticket.resolved_at = None
            fields += ["status", "status_changed_at", "resolved_at"]
            history.add(
                "status_changed",
                old=old,
                new=Status.OPEN,
                # The reply is its own event; pointing at it again would show it twice.
                comment_id=None,
                reply_comment_id=comment.pk,
                reason="requester replied",
            )
        _save(ticket, now, *fields)
        history.write(now)
        notify.commented(ticket, actor=actor, comment=comment)
    return comment


def record_note(ticket: Ticket, *, channel: str, body: str, now: datetime | None = None) -> Comment:
    """An internal note written by the system itself (e.g. a robot's mail, recorded): no
    permission applies, nobody is notified, the ticket's status does not change."""
    now = now or timezone.now()
    actor = system_user()
    with _atomic_action():
        ticket = _lock(ticket)
        history = _History(actor, channel, ticket)
        comment = _new_comment(
            ticket,
            actor=actor,
            channel=channel,
            body=body,
            visibility=Visibility.INTERNAL,
            now=now,
        )
        history.add("note_added", internal=True, comment_id=comment.pk)
        _save(ticket, now, "comment_count")
        history.write(now)
    return comment


def add_attachments(
    ticket: Ticket,
    *,
    actor: User,
    channel: str,
    uploads: Sequence[Upload],
    now: datetime | None = None,
) -> list[Attachment]:
    now = now or timezone.now()
    if not uploads:
        raise InvalidInput(_("Choose a file to attach."), field="attachment")
    with _atomic_action():
        ticket = _lock(ticket)
        require(actor, Action.ATTACH, ticket)
        history = _History(actor, channel, ticket)
        stored = _store_uploads(
            ticket, uploads, actor=actor, comment=None, internal=False, now=now, history=history
        )
        _save(ticket, now)
        history.write(now)
    return stored


# --- fields ----------------------------------------------------------------------------------


def classify(
    ticket: Ticket,
    *,
    actor: User,
    channel: str,
    severity: str | None = None,
    criticality: str | None = None,
    application: Application | None = None,
    clear_application: bool = False,
    now: datetime | None = None,
) -> Ticket:
    """Change severity, criticality or application; the priority follows unless overridden.

    Becoming an ``enhancement`` sends an active ticket to ``pending_decision``.
    """
    now = now or timezone.now()
    if severity is not None:
        _choice(severity, Severity, field="severity")
    if criticality is not None:
        _choice(criticality, Criticality, field="criticality")
    with _atomic_action():
        ticket = _lock(ticket)
        require(actor, Action.EDIT, ticket)
        history = _History(actor, channel, ticket)
        fields: list[str] = []
        for name, value in (("severity", severity), ("criticality", criticality)):
            if value is not None and getattr(ticket, name) != value:
                history.add("field_changed", field=name, old=getattr(ticket, name), new=value)
                setattr(ticket, name, value)
                fields.append(name)
        if clear_application or (
            application is not None and application.pk != ticket.application_id
        ):
            old_app = ticket.application
            ticket.application = None if clear_application else application
            history.add(
                "field_changed",
                field="application",
                old=old_app.slug if old_app else None,
                new=application.slug if application and not clear_application else None,
            )
            fields.append("application")
        if not fields:
            return ticket
        if not ticket.priority_reason:
            priority = compute_priority(
                ticket.severity,
                ticket.criticality,
                ticket.service.priority_matrix if ticket.service else None,
            )
            if priority != ticket.priority:
                history.add("field_changed", field="priority", old=ticket.priority, new=priority)
                ticket.priority = priority
                fields.append("priority")
        if criticality == Criticality.ENHANCEMENT and ticket.status in (
            Status.NEW,
            Status.OPEN,
            Status.PENDING_CUSTOMER,
        ):
            old = ticket.status
            ticket.status = Status.PENDING_DECISION
            ticket.status_changed_at = now
            fields += ["status", "status_changed_at"]
            history.add(
                "status_changed",
                old=old,
                new=Status.PENDING_DECISION,
                comment_id=None,
                reason="became an enhancement request",
            )
        _save(ticket, now, *fields)
        history.write(now)
    return ticket


def set_priority(
    ticket: Ticket,
    *,
    actor: User,
    channel: str,
    priority: int | None,
    reason: str = "",
    now: datetime | None = None,
) -> Ticket:
    """Override the computed priority with a reason, or (``None``) go back to the matrix."""
    now = now or timezone.now()
    with _atomic_action():
        ticket = _lock(ticket)
        require(actor, Action.EDIT, ticket)
        if priority is None:
            new = compute_priority(
                ticket.severity,
                ticket.criticality,
                ticket.service.priority_matrix if ticket.service else None,
            )
            text = ""
        else:
            if priority not in (1, 2, 3, 4, 5):
                raise InvalidInput(_("Priority must be 1 (most urgent) to 5."), field="priority")
            text = _require_text(
                reason, field="reason", message=_("A reason is required to override the priority.")
            )
            new = priority
        history = _History(actor, channel, ticket)
        history.add(
            "priority_overridden" if priority is not None else "priority_reset",
            old=ticket.priority,
            new=new,
            reason=text,
        )
        ticket.priority, ticket.priority_reason = new, text
        _save(ticket, now, "priority", "priority_reason")
        history.write(now)
    return ticket


def edit_subject(
    ticket: Ticket, *, actor: User, channel: str, subject: str, now: datetime | None = None
) -> Ticket:
    now = now or timezone.now()
    subject = _require_text(subject, field="subject", message=_("A subject is required."))
    if len(subject) > MAX_SUBJECT:
        raise InvalidInput(_("The subject is too long."), field="subject")
    with _atomic_action():
        ticket = _lock(ticket)
        require(actor, Action.EDIT, ticket)
        if subject == ticket.subject:
            return ticket
        history = _History(actor, channel, ticket)
        history.add("field_changed", field="subject", old=ticket.subject, new=subject)
        ticket.subject = subject
        _save(ticket, now, "subject")
        history.write(now)
    return ticket


def set_tags(
    ticket: Ticket, *, actor: User, channel: str, tags: Iterable[str], now: datetime | None = None
) -> Ticket:
    now = now or timezone.now()
    clean = sorted({t.strip().lower() for t in tags if t and t.strip()})
    for tag in clean:
        if len(tag) > 50 or "," in tag:
            raise InvalidInput(_("Tags are at most 50 characters, without commas."), field="tags")
    with _atomic_action():
        ticket = _lock(ticket)
        require(actor, Action.EDIT, ticket)
        if clean == list(ticket.tags):
            return ticket
        history = _History(actor, channel, ticket)
        history.add("field_changed", field="tags", old=list(ticket.tags), new=clean)
        ticket.tags = clean
        _save(ticket, now, "tags")
        history.write(now)
    return ticket


# --- watchers --------------------------------------------------------------------------------


def add_watcher(
    ticket: Ticket, *, actor: User, channel: str, user: User, kind: str, now: datetime | None = None
) -> Watcher:
    now = now or timezone.now()
    _choice(kind, WatcherKind, field="kind")
    if kind == WatcherKind.ADMINCC and not is_agent(user):
        raise InvalidInput(
            _("%(user)s is not an agent; only agents can be AdminCc (they read internal notes).")
            % {"user": user.display_name},
            field="user",
        )
    with _atomic_action():
        ticket = _lock(ticket)
        require(actor, Action.WATCHERS, ticket)
        watcher, created = Watcher.objects.get_or_create(ticket=ticket, user=user, kind=kind)
        if created:
            history = _History(actor, channel, ticket)
            history.add("watcher_added", user=user.username, kind=kind)
            _save(ticket, now)
            history.write(now)
    forget_linked_tickets(user)
    return watcher


def remove_watcher(
    ticket: Ticket, *, actor: User, channel: str, user: User, kind: str, now: datetime | None = None
) -> None:
    now = now or timezone.now()
    with _atomic_action():
        ticket = _lock(ticket)
        require(actor, Action.WATCHERS, ticket)
        deleted, _unused = Watcher.objects.filter(ticket=ticket, user=user, kind=kind).delete()
        if deleted:
            history = _History(actor, channel, ticket)
            history.add("watcher_removed", user=user.username, kind=kind)
            _save(ticket, now)
            history.write(now)
    forget_linked_tickets(user)


def open_upload(path: str) -> Upload:
    """An Upload from a file on disk (CLI)."""
    with open(path, "rb") as handle:
        data = File(handle).read()
    return Upload(name=path, content=data)
