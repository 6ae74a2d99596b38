"""Links between tickets, merges and splits (SPEC §2), as actions.

- ``add_link`` / ``remove_link``: depends-on, parent-of, refers-to, duplicate-of, master-of; each
  reads the other way from the target (blocks, child of, referred to by, duplicated by, slave of).
  No self-link, no duplicate, no cycle of dependencies, parents or masters.
- ``merge``: the ticket is closed into a survivor that takes its comments, files, interventions,
  watchers, co-requesters and links; its number keeps working and leads to the survivor.
- ``split``: one comment of a ticket becomes a new ticket that refers to it (seed 004: a new
  problem raised under an old subject).

The life-cycle rules that links imply (an open dependency blocks resolving; a master carries its
slaves) live in ``actions.change_status``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from osit.core.errors import Conflict, InvalidInput, NotFound
from osit.directory.models import User
from osit.tickets.actions import _atomic_action, _History, _lock, _new_comment, _save
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
from osit.tickets.policy import Action, require, visible_tickets

# Link kinds whose chains must not loop back (a ticket cannot depend on itself, even far away).
ACYCLIC = {LinkKind.DEPENDS_ON, LinkKind.PARENT_OF, LinkKind.MASTER_OF}
OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING_CUSTOMER, Status.PENDING_DECISION)


@dataclass(frozen=True)
class LinkView:
    """One link as seen from a ticket: its label and the ticket at the other end."""

    id: int
    kind: str
    label: str
    outgoing: bool
    other: Ticket


def links_of(ticket: Ticket) -> list[LinkView]:
    """Every link of ``ticket``, both ways, in one query."""
    rows = (
        TicketLink.objects.filter(Q(source_id=ticket.pk) | Q(target_id=ticket.pk))
        .select_related("source", "target")
        .order_by("id")
    )
    out = []
    for link in rows:
        outgoing = link.source_id == ticket.pk
        label = LinkKind(link.kind).label if outgoing else INVERSE_LABELS[LinkKind(link.kind)]
        out.append(
            LinkView(
                link.pk, link.kind, str(label), outgoing, link.target if outgoing else link.source
            )
        )
    return out


def _target(actor: User, number: int | str | None, *, field: str) -> Ticket:
    """The other ticket, if the actor may see it; the same message as a missing one otherwise."""
    try:
        pk = int(str(number).strip().lstrip("#"))
    except (TypeError, ValueError):
        raise InvalidInput(_("Give the number of the other ticket."), field=field) from None
    ticket = visible_tickets(actor).filter(pk=pk).first() if 0 < pk < 2**62 else None
    if ticket is None:
        raise NotFound(_("Ticket #%(number)s does not exist.") % {"number": pk}, field=field)
    return ticket


def _reaches(start: int, goal: int, kind: str) -> bool:
    """Does following ``kind`` links from ``start`` lead to ``goal``? (breadth first)"""
    seen, frontier = {start}, [start]
    while frontier:
        nxt = list(
            TicketLink.objects.filter(source_id__in=frontier, kind=kind).values_list(
                "target_id", flat=True
            )
        )
        if goal in nxt:
            return True
        frontier = [t for t in nxt if t not in seen]
        seen.update(frontier)
    return False


def add_link(
    ticket: Ticket,
    *,
    actor: User,
    channel: str,
    kind: str,
    target: int | str,
    now: datetime | None = None,
) -> TicketLink:
    now = now or timezone.now()
    if kind not in LinkKind.values:
        raise InvalidInput(
            _("%(kind)r is not a kind of link; use one of: %(allowed)s.")
            % {"kind": kind, "allowed": ", ".join(LinkKind.values)},
            field="kind",
        )
    other = _target(actor, target, field="target")
    with _atomic_action():
        ticket = _lock(ticket)
        require(actor, Action.LINK, ticket)
        if other.pk == ticket.pk:
            raise InvalidInput(_("A ticket cannot be linked to itself."), field="target")
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
        history.write(now)
    return link


def remove_link(
    ticket: Ticket, *, actor: User, channel: str, link_id: int, now: datetime | None = None
) -> None:
    now = now or timezone.now()
    with _atomic_action():
        ticket = _lock(ticket)
        require(actor, Action.LINK, ticket)
        link = (
            TicketLink.objects.filter(pk=link_id)
            .filter(Q(source_id=ticket.pk) | Q(target_id=ticket.pk))
            .first()
        )
        if link is None:
            raise NotFound(_("This ticket has no such link."), field="link")
        history = _History(actor, channel, ticket)
        history.add("link_removed", kind=link.kind, source=link.source_id, target=link.target_id)
        other_id = link.target_id if link.source_id == ticket.pk else link.source_id
        history.add(
            "link_removed",
            ticket=Ticket.objects.get(pk=other_id),
            kind=link.kind,
            source=link.source_id,
            target=link.target_id,
        )
        link.delete()
        _save(ticket, now)
        history.write(now)


def open_dependencies(ticket: Ticket) -> list[int]:
    """Numbers of the tickets ``ticket`` depends on that are not resolved or closed yet."""
    return list(
        TicketLink.objects.filter(
            source_id=ticket.pk, kind=LinkKind.DEPENDS_ON, target__status__in=OPEN_STATUSES
        )
        .order_by("target_id")
        .values_list("target_id", flat=True)
    )


def slaves_of(ticket: Ticket) -> list[Ticket]:
    return list(
        Ticket.objects.filter(
            links_in__source_id=ticket.pk, links_in__kind=LinkKind.MASTER_OF
        ).order_by("id")
    )


# --- merge and split ----------------------------------------------------------------------


def merge(
    ticket: Ticket,
    *,
    actor: User,
    channel: str,
    into: int | str,
    comment: str = "",
    now: datetime | None = None,
) -> Ticket:
    """Merge ``ticket`` into ``into``; returns the survivor."""
    now = now or timezone.now()
    survivor = _target(actor, into, field="into")
    with _atomic_action():
        ticket = _lock(ticket)
        require(actor, Action.MERGE, ticket)
        if survivor.pk == ticket.pk:
            raise InvalidInput(_("A ticket cannot be merged into itself."), field="into")
        survivor = _lock(survivor)
        if survivor.merged_into_id is not None:
            raise InvalidInput(
                _("#%(n)d was itself merged into #%(m)d; merge into that one.")
                % {"n": survivor.pk, "m": survivor.merged_into_id},
                field="into",
            )
        if survivor.status == Status.CLOSED:
            raise Conflict(
                _("#%(n)d is closed; reopen it or merge the other way.") % {"n": survivor.pk},
                field="into",
            )
        if ticket.merged_into_id is not None:
            raise Conflict(_("This ticket is already merged."), field="into")
        moved_comments = Comment.objects.filter(ticket=ticket).update(ticket=survivor)
        Attachment.objects.filter(ticket=ticket).update(ticket=survivor)
        TimeEntry.objects.filter(ticket=ticket).update(ticket=survivor)
        for watcher in Watcher.objects.filter(ticket=ticket):
            Watcher.objects.get_or_create(
                ticket=survivor, user_id=watcher.user_id, kind=watcher.kind
            )
        Watcher.objects.filter(ticket=ticket).delete()
        co = list(ticket.extra_requesters.all())
        if ticket.requester_id != survivor.requester_id:
            co.append(ticket.requester)
        survivor.extra_requesters.add(*[u for u in co if u.pk != survivor.requester_id])
        for link in TicketLink.objects.filter(Q(source=ticket) | Q(target=ticket)):
            source = survivor.pk if link.source_id == ticket.pk else link.source_id
            target = survivor.pk if link.target_id == ticket.pk else link.target_id
            if source != target:
                TicketLink.objects.get_or_create(
                    source_id=source,
                    target_id=target,
                    kind=link.kind,
                    defaults={"created_by": link.created_by, "created_at": link.created_at},
                )
            link.delete()
        history = _History(actor, channel, ticket)
        note = (comment or "").strip() or _("Merged into #%(n)d.") % {"n": survivor.pk}
        survivor.comment_count += moved_comments
        survivor.time_spent_minutes += ticket.time_spent_minutes
        _new_comment(
            survivor,
            actor=actor,
            channel=channel,
            body=note,
            visibility=Visibility.INTERNAL,
            now=now,
        )
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
        _save(survivor, now, "comment_count", "time_spent_minutes")
        history.add("merged", into=survivor.pk, old_status=old_status, comment=note)
        history.add("merged_in", ticket=survivor, source=ticket.pk, comments=moved_comments)
        history.write(now)
    return survivor


def split(
    ticket: Ticket,
    *,
    actor: User,
    channel: str,
    comment_id: int,
    subject: str | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Comment ``comment_id`` of ``ticket`` becomes a new ticket referring to it."""
    from osit.tickets.actions import create_ticket

    now = now or timezone.now()
    source = Comment.objects.filter(pk=comment_id, ticket_id=ticket.pk).first()
    if source is None:
        raise NotFound(_("This ticket has no comment %(id)s.") % {"id": comment_id}, field="event")
    require(actor, Action.SPLIT, ticket)
    if source.is_internal and not actor.is_agent:
        raise NotFound(_("This ticket has no comment %(id)s.") % {"id": comment_id}, field="event")
    title = (subject or "").strip() or _("Split from #%(n)d: %(subject)s") % {
        "n": ticket.pk,
        "subject": ticket.subject,
    }
    with _atomic_action():
        new = create_ticket(
            actor=actor,
            channel=channel,
            requester=ticket.requester,
            subject=title[:250],
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
        history = _History(actor, channel, ticket)
        history.add("split", new=new.pk, comment_id=source.pk)
        history.add("split_from", ticket=new, source=ticket.pk, comment_id=source.pk)
        _save(ticket, now)
        history.write(now)
    return new
