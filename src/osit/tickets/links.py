"""Links between tickets, merges and splits (SPEC §2), as actions.

- ``add_link`` / ``remove_link``: depends-on, parent-of, refers-to, duplicate-of, master-of; each
  reads the other way from the target (blocks, child of, referred to by, duplicated by, slave of).
  No self-link, no duplicate, no loop of dependencies, parents or masters.
- ``merge``: the ticket is closed into a survivor that takes its comments, files, interventions,
  watchers, requesters and links; its number keeps working and leads to the survivor
  (``policy.get_ticket_for``).
- ``split``: one comment of a ticket becomes a new ticket that refers to it (seed 004: a new
  problem raised under an old subject).

The life-cycle rules that links imply (an open dependency blocks resolving; a master carries its
slaves) live in ``actions.change_status``, which asks ``open_dependencies`` and ``slaves_of``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from osit.core.errors import Conflict, InvalidInput, NotFound
from osit.core.queries import Ahead, Reusable
from osit.directory.models import User
from osit.tickets.actions import (
    MAX_SUBJECT,
    _atomic_action,
    _History,
    _lock,
    _new_comment,
    _save,
    create_ticket,
)
from osit.tickets.choices import Status, Visibility
from osit.tickets.models import (
    INVERSE_LABELS,
    Attachment,
    Comment,
    LinkKind,
    Ticket,
    TicketLink,
    TimeEntry,
    Watcher,
)
from osit.tickets.policy import (
    Action,
    get_ticket_for,
    require,
    sees_by_role,
    sees_everything,
    visible_tickets,
)

# Link kinds whose chains must not loop back (a ticket cannot depend on itself, even far away).
ACYCLIC = frozenset({LinkKind.DEPENDS_ON, LinkKind.PARENT_OF, LinkKind.MASTER_OF})
# A dependency in one of these no longer blocks; a slave in one of them is left alone.
DONE = (Status.RESOLVED, Status.CLOSED)
# A derived subject (the first line of the comment) is cut here.
DERIVED_SUBJECT = 100


@dataclass(frozen=True)
class LinkView:
    """One link as seen from a ticket: its label and the ticket at the other end."""

    id: int
    kind: str
    label: str
    outgoing: bool
    other: Ticket


# What a link shows of the ticket at each end.
_LINK_FIELDS = (
    "id",
    "kind",
    "source_id",
    "target_id",
    *(
        f"{end}__{f}"
        for end in ("source", "target")
        # what a link shows, and what policy.sees_by_role reads
        for f in ("id", "subject", "status", "requester", "created_by", "service", "owner")
    ),
)


def merged_here(ticket: Ticket, timeline: Iterable[Any], *, complete: bool) -> list[int]:
    """The numbers of the tickets merged into ``ticket``, oldest first.

    Every merge into a ticket writes a "merged" event in its history (``merge``), so when
    ``timeline`` holds the whole history (``complete``: internal events included) and no such
    event, nothing was merged here and no query is needed (issue 5).
    """
    if complete and not any(entry.kind in ("merged", "merged_in") for entry in timeline):
        return []
    return list(ticket.merged_from.order_by("id").values_list("id", flat=True))


_LINKS = Reusable(
    lambda ticket_id: (
        TicketLink.objects.filter(Q(source_id=ticket_id) | Q(target_id=ticket_id))
        .select_related("source", "target")
        .only(*_LINK_FIELDS)
        .order_by("id")
    ),
    int,
)


def links_reads(ticket_id: int) -> list[Ahead]:
    """The read :func:`links_of` makes, for ``osit.core.queries.read_ahead``."""
    return [_LINKS.ahead(ticket_id)]


def links_of(ticket: Ticket, *, visible_to: User | None = None) -> list[LinkView]:
    """Every link of ``ticket``, both ways, oldest first, in one query.

    With ``visible_to``, only the links whose other end that user may see (a ticket page must not
    show the subject of a ticket its reader cannot open).
    """
    rows = _LINKS.list(ticket.pk)
    if rows and visible_to is not None and not sees_everything(visible_to):
        # The other ends are in hand: the role vouches for most of them; the rest are checked
        # by number (a subquery over every visible ticket would make the database consider the
        # whole desk, issue 5).
        others = {r.target if r.source_id == ticket.pk else r.source for r in rows}
        seen = {t.pk for t in others if sees_by_role(visible_to, t)}
        unsure = sorted(t.pk for t in others if t.pk not in seen)
        if unsure:
            seen |= set(
                visible_tickets(visible_to).filter(id__in=unsure).values_list("id", flat=True)
            )
        rows = [
            r for r in rows if (r.target_id if r.source_id == ticket.pk else r.source_id) in seen
        ]
    out = []
    for link in rows:
        outgoing = link.source_id == ticket.pk
        kind = LinkKind(link.kind)
        label = kind.label if outgoing else INVERSE_LABELS[kind]
        other = link.target if outgoing else link.source
        out.append(LinkView(link.pk, link.kind, str(label), outgoing, other))
    return out


def open_dependencies(ticket: Ticket) -> list[int]:
    """Numbers of the tickets ``ticket`` depends on that are not resolved or closed yet."""
    return list(
        TicketLink.objects.filter(source_id=ticket.pk, kind=LinkKind.DEPENDS_ON)
        .exclude(target__status__in=DONE)
        .order_by("target_id")
        .values_list("target_id", flat=True)
    )


def slaves_of(ticket: Ticket) -> list[Ticket]:
    """The tickets ``ticket`` is the master of, by number."""
    return list(
        Ticket.objects.filter(
            links_in__source_id=ticket.pk, links_in__kind=LinkKind.MASTER_OF
        ).order_by("id")
    )


# --- helpers ----------------------------------------------------------------------------------


def _number(value: int | str | None, *, field: str) -> int:
    try:
        return int(str(value).strip().lstrip("#"))
    except (TypeError, ValueError):
        raise InvalidInput(_("Give the number of the other ticket."), field=field) from None


def _other(actor: User, number: int, *, field: str) -> Ticket:
    """The ticket ``number`` leads to (a merged number: its survivor), if ``actor`` may see it.

    A ticket the actor may not see is refused with the message of a missing one.
    """
    try:
        return get_ticket_for(actor, number)
    except NotFound as exc:
        raise NotFound(exc.message, field=field) from None


def _lock_pair(first: Ticket, second: Ticket) -> tuple[Ticket, Ticket]:
    """Lock two tickets, always the lower number first: two actions crossing each other (A into
    B while B into A) then wait for one another instead of deadlocking."""
    if first.pk == second.pk:
        locked = _lock(first)
        return locked, locked
    if first.pk < second.pk:
        a = _lock(first)
        return a, _lock(second)
    b = _lock(second)
    return _lock(first), b


def _refuse_merged(ticket: Ticket, *, field: str) -> None:
    if ticket.merged_into_id is not None:
        raise Conflict(
            _("This ticket was merged into #%(n)d.") % {"n": ticket.merged_into_id}, field=field
        )


def _reaches(start: int, goal: int, kind: str) -> bool:
    """Does following ``kind`` links from ``start`` lead to ``goal``? (breadth first, one query
    per step)"""
    seen, frontier = {start}, [start]
    while frontier:
        found = set(
            TicketLink.objects.filter(source_id__in=frontier, kind=kind).values_list(
                "target_id", flat=True
            )
        )
        if goal in found:
            return True
        frontier = sorted(found - seen)
        seen.update(frontier)
    return False


# --- links ------------------------------------------------------------------------------------


def add_link(
    ticket: Ticket,
    *,
    actor: User,
    channel: str,
    kind: str,
    target: int | str,
    now: datetime | None = None,
) -> TicketLink:
    """Link ``ticket`` to ``target`` (a number): ``ticket`` depends on / is the parent of /
    refers to / duplicates / is the master of ``target``. An event goes on both tickets.

    A merged number links to its survivor. Raises NotFound (field ``target``) for a ticket the
    actor may not see, InvalidInput for an unknown kind, a link to itself or one that would make
    a loop, Conflict for a link that already exists, Forbidden for a requester.
    """
    now = now or timezone.now()
    _choice_of_kind(kind)
    other = _other(actor, _number(target, field="target"), field="target")
    with _atomic_action():
        ticket, other = _lock_pair(ticket, other)
        require(actor, Action.LINK, ticket)
        _refuse_merged(ticket, field="target")
        if other.pk == ticket.pk:
            raise InvalidInput(_("A ticket cannot be linked to itself."), field="target")
        if other.merged_into_id is not None:  # merged meanwhile, by someone else
            raise Conflict(
                _("#%(n)d was just merged into #%(m)d; link to that one.")
                % {"n": other.pk, "m": other.merged_into_id},
                field="target",
            )
        if TicketLink.objects.filter(source=ticket, target=other, kind=kind).exists():
            raise Conflict(
                _("#%(a)d already %(kind)s #%(b)d.")
                % {"a": ticket.pk, "kind": LinkKind(kind).label, "b": other.pk},
                field="target",
            )
        if kind in ACYCLIC and _reaches(other.pk, ticket.pk, kind):
            raise InvalidInput(
                _("#%(b)d already leads back to #%(a)d: this link would make a loop.")
                % {"a": ticket.pk, "b": other.pk},
                field="target",
            )
        link = TicketLink.objects.create(
            source=ticket, target=other, kind=kind, created_by=actor, created_at=now
        )
        history = _History(actor, channel, ticket)
        history.add("link_added", kind=kind, target=other.pk)
        history.add("link_added", ticket=other, kind=kind, source=ticket.pk)
        _save(ticket, now)
        _save(other, now)
        history.write(now)
    return link


def _choice_of_kind(kind: str) -> None:
    if kind not in LinkKind.values:
        raise InvalidInput(
            _("%(kind)r is not a kind of link; use one of: %(allowed)s.")
            % {"kind": kind, "allowed": ", ".join(LinkKind.values)},
            field="kind",
        )


def remove_link(
    ticket: Ticket, *, actor: User, channel: str, link_id: int, now: datetime | None = None
) -> None:
    """Remove link ``link_id``, from either of its ends; an event goes on both tickets."""
    now = now or timezone.now()
    link = (
        TicketLink.objects.filter(pk=link_id)
        .filter(Q(source_id=ticket.pk) | Q(target_id=ticket.pk))
        .first()
    )
    if link is None:
        raise NotFound(_("This ticket has no such link."), field="link")
    other = Ticket(pk=link.target_id if link.source_id == ticket.pk else link.source_id)
    with _atomic_action():
        ticket, other = _lock_pair(ticket, other)
        require(actor, Action.LINK, ticket)
        # Removed meanwhile by someone else: say so rather than pretend.
        if not TicketLink.objects.filter(pk=link.pk).exists():
            raise NotFound(_("This ticket has no such link."), field="link")
        data: dict[str, Any] = {
            "kind": link.kind,
            "source": link.source_id,
            "target": link.target_id,
        }
        history = _History(actor, channel, ticket)
        history.add("link_removed", **data)
        history.add("link_removed", ticket=other, **data)
        link.delete()
        _save(ticket, now)
        _save(other, now)
        history.write(now)


# --- merge ------------------------------------------------------------------------------------


def merge(
    ticket: Ticket,
    *,
    actor: User,
    channel: str,
    into: int | str,
    comment: str = "",
    now: datetime | None = None,
) -> Ticket:
    """Merge ``ticket`` into ticket ``into``; returns the survivor.

    The ticket is closed with ``merged_into`` set; its comments, attachments and interventions
    (with their time), watchers (without duplicates), requester and co-requesters (as
    co-requesters) and links move to the survivor; the tickets merged into it before now lead
    to the survivor too. ``comment`` (or a default) becomes an internal note on the survivor. A
    ``merged`` event goes on both tickets.

    Refused: into itself, into a merged or closed ticket, into a ticket the actor may not see
    (NotFound, as if missing), a merged or closed ticket, by a requester.
    """
    now = now or timezone.now()
    asked = _number(into, field="into")
    survivor = _other(actor, asked, field="into")
    with _atomic_action():
        ticket, survivor = _lock_pair(ticket, survivor)
        _refuse_merged(ticket, field="into")
        require(actor, Action.MERGE, ticket)
        if asked == ticket.pk:
            raise InvalidInput(_("A ticket cannot be merged into itself."), field="into")
        if survivor.merged_into_id is not None:  # merged meanwhile, by someone else
            asked, survivor = survivor.pk, Ticket(pk=survivor.merged_into_id)
        if survivor.pk != asked:
            raise InvalidInput(
                _("#%(n)d was itself merged into #%(m)d; merge into that one.")
                % {"n": asked, "m": survivor.pk},
                field="into",
            )
        if survivor.status == Status.CLOSED:
            raise Conflict(
                _("#%(n)d is closed; reopen it before merging into it.") % {"n": survivor.pk},
                field="into",
            )
        moved = _move_everything(ticket, survivor)
        note = _new_comment(
            survivor,
            actor=actor,
            channel=channel,
            body=(comment or "").strip()
            or _("#%(n)d was merged into this ticket.") % {"n": ticket.pk},
            visibility=Visibility.INTERNAL,
            now=now,
        )
        survivor.comment_count += moved["comments"]
        survivor.time_spent_minutes += ticket.time_spent_minutes
        _save(survivor, now, "comment_count", "time_spent_minutes")
        old_status = ticket.status
        ticket.status = Status.CLOSED
        ticket.closed_at = ticket.status_changed_at = now
        ticket.merged_into = survivor
        ticket.comment_count = 0
        ticket.time_spent_minutes = 0
        _save(
            ticket,
            now,
            "status",
            "closed_at",
            "status_changed_at",
            "merged_into",
            "comment_count",
            "time_spent_minutes",
        )
        # Earlier merges into this ticket now lead straight to the survivor.
        Ticket.objects.filter(merged_into=ticket).update(merged_into=survivor)
        history = _History(actor, channel, ticket)
        history.add("merged", into=survivor.pk, old=old_status, new=Status.CLOSED, **moved)
        # "from" is a keyword of Python, hence the dict.
        arrived: dict[str, Any] = {"from": ticket.pk, "comment_id": note.pk, **moved}
        history.add("merged", ticket=survivor, **arrived)
        history.write(now)
    return survivor


def _move_everything(ticket: Ticket, survivor: Ticket) -> dict[str, Any]:
    """Move what hangs off ``ticket`` to ``survivor``; how many of each moved (for the events)."""
    comments = Comment.objects.filter(ticket=ticket).update(ticket=survivor)
    attachments = Attachment.objects.filter(ticket=ticket).update(ticket=survivor)
    time_entries = TimeEntry.objects.filter(ticket=ticket).update(ticket=survivor)

    present = set(Watcher.objects.filter(ticket=survivor).values_list("user_id", "kind"))
    incoming = set(Watcher.objects.filter(ticket=ticket).values_list("user_id", "kind"))
    Watcher.objects.bulk_create(
        [Watcher(ticket=survivor, user_id=u, kind=k) for u, k in sorted(incoming - present)]
    )
    Watcher.objects.filter(ticket=ticket).delete()

    people = {ticket.requester_id, *ticket.extra_requesters.values_list("id", flat=True)}
    people.discard(survivor.requester_id)
    survivor.extra_requesters.add(*sorted(people))

    links_moved = links_dropped = 0
    for link in TicketLink.objects.filter(Q(source=ticket) | Q(target=ticket)).order_by("id"):
        source = survivor.pk if link.source_id == ticket.pk else link.source_id
        target = survivor.pk if link.target_id == ticket.pk else link.target_id
        link.delete()
        # A link between the two tickets, one the survivor already has, or one that would close
        # a loop through the survivor has nowhere to go.
        if (
            source == target
            or TicketLink.objects.filter(
                source_id=source, target_id=target, kind=link.kind
            ).exists()
            or (link.kind in ACYCLIC and _reaches(target, source, link.kind))
        ):
            links_dropped += 1
            continue
        TicketLink.objects.create(
            source_id=source,
            target_id=target,
            kind=link.kind,
            created_by_id=link.created_by_id,
            created_at=link.created_at,
        )
        links_moved += 1
    return {
        "comments": comments,
        "attachments": attachments,
        "time_entries": time_entries,
        "watchers": len(incoming - present),
        "links": links_moved,
        "links_dropped": links_dropped,
    }


# --- split ------------------------------------------------------------------------------------


def _derived_subject(body: str, ticket: Ticket) -> str:
    """The first line of the comment, shortened; the old subject only for an empty comment."""
    for line in body.splitlines():
        line = " ".join(line.split())
        if line:
            if len(line) > DERIVED_SUBJECT:
                line = line[: DERIVED_SUBJECT - 1].rstrip() + "…"
            return line
    text = _("Split from #%(n)d: %(subject)s") % {"n": ticket.pk, "subject": ticket.subject}
    return text[:MAX_SUBJECT]


def split(
    ticket: Ticket,
    *,
    actor: User,
    channel: str,
    comment_id: int,
    subject: str | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Comment ``comment_id`` of ``ticket`` becomes a new ticket that refers to it.

    The new ticket has the same requester, service, application, severity and criticality; its
    description is the comment's text; its subject is ``subject`` or the comment's first line.
    The comment stays where it was. Events go on both tickets. Raises NotFound (field ``event``)
    for a comment of another ticket, Forbidden for a requester or a closed ticket.
    """
    now = now or timezone.now()
    with _atomic_action():
        ticket = _lock(ticket)
        _refuse_merged(ticket, field="event")
        require(actor, Action.SPLIT, ticket)
        source = Comment.objects.filter(pk=comment_id, ticket_id=ticket.pk).first()
        if source is None:
            raise NotFound(
                _("This ticket has no comment %(id)s.") % {"id": comment_id}, field="event"
            )
        if ticket.service_id is None:
            raise InvalidInput(
                _("Route this ticket to a service before splitting it."), field="event"
            )
        new = create_ticket(
            actor=actor,
            channel=channel,
            requester=ticket.requester,
            subject=(subject or "").strip() or _derived_subject(source.body, ticket),
            description=source.body,
            service=ticket.service,
            application=ticket.application,
            severity=ticket.severity,
            criticality=ticket.criticality,
            now=now,
        )
        TicketLink.objects.create(
            source=new, target=ticket, kind=LinkKind.REFERS_TO, created_by=actor, created_at=now
        )
        # Not "comment_id": the timeline would show the comment's text a second time here.
        history = _History(actor, channel, ticket)
        history.add("split", new=new.pk, source_comment=source.pk)
        history.add("split_from", ticket=new, source=ticket.pk, source_comment=source.pk)
        _save(ticket, now)
        history.write(now)
    return new
