"""Helpers for the domain tests: read back what an action left in the database.

- ``snapshot(ticket)``: the state a failed action must leave untouched (status, counters,
  comments, events, attachments, version).
- ``kinds(ticket)``: the history event kinds of a ticket, oldest first.
- ``move(ticket, status, *, actor, now=None)``: change the status with an observation comment.
"""

from __future__ import annotations

from datetime import datetime

from osit.audit.models import Event
from osit.tickets.actions import change_status
from osit.tickets.models import Attachment, Comment, Ticket


def snapshot(ticket: Ticket) -> dict[str, object]:
    fresh = Ticket.objects.get(pk=ticket.pk)
    return {
        "status": fresh.status,
        "owner": fresh.owner_id,
        "service": fresh.service_id,
        "priority": fresh.priority,
        "comment_count": fresh.comment_count,
        "time_spent": fresh.time_spent_minutes,
        "version": fresh.version,
        "comments": Comment.objects.filter(ticket=ticket).count(),
        "attachments": Attachment.objects.filter(ticket=ticket).count(),
        "events": Event.objects.count(),
    }


def kinds(ticket: Ticket) -> list[str]:
    return list(Event.objects.filter(ticket=ticket).order_by("seq").values_list("kind", flat=True))


def last_event(ticket: Ticket) -> Event:
    event = Event.objects.filter(ticket=ticket).order_by("-seq").first()
    assert event is not None
    return event


def refresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def move(ticket: Ticket, status: str, *, actor, now: datetime | None = None) -> Ticket:
    return change_status(
        ticket,
        actor=actor,
        channel="web",
        status=status,
        comment=f"Observation: now {status}.",
        now=now,
    )
