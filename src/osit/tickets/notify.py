"""Who is told about a change. Called by actions inside their transaction.

Today: in-app notifications (the bell). The e-mail outbox adds its messages here too, so the rule
of who hears about what lives in one place for every channel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _

from osit.tickets.models import Notification

if TYPE_CHECKING:
    from osit.directory.models import Service, User
    from osit.tickets.models import Comment, Ticket


def _notify(users: list[User], ticket: Ticket, message: str, *, actor: User) -> None:
    now = timezone.now()
    rows = [
        Notification(user=u, ticket=ticket, message=message[:300], created_at=now)
        for u in users
        if u.pk != actor.pk and u.is_active
    ]
    Notification.objects.bulk_create(rows)


def ticket_created(ticket: Ticket, *, actor: User) -> None:
    """New tickets show in their service's "New and unowned" list; nobody is pinged."""


def rerouted(ticket: Ticket, *, actor: User, old_service: Service | None, comment: Comment) -> None:
    members = list(ticket.service.members.all()) if ticket.service else []
    _notify(
        members,
        ticket,
        _("#%(number)d was re-routed to %(service)s by %(actor)s: %(subject)s")
        % {
            "number": ticket.pk,
            "service": ticket.service.name if ticket.service else "-",
            "actor": actor.display_name,
            "subject": ticket.subject,
        },
        actor=actor,
    )


def assigned(ticket: Ticket, *, actor: User, owner: User) -> None:
    _notify(
        [owner],
        ticket,
        _("%(actor)s gave you #%(number)d: %(subject)s")
        % {"actor": actor.display_name, "number": ticket.pk, "subject": ticket.subject},
        actor=actor,
    )


def status_changed(ticket: Ticket, *, actor: User, old: str, new: str, comment: Comment) -> None:
    if ticket.owner is not None and ticket.owner_id != actor.pk:
        _notify(
            [ticket.owner],
            ticket,
            _("#%(number)d is now %(status)s")
            % {"number": ticket.pk, "status": ticket.get_status_display()},
            actor=actor,
        )


def commented(ticket: Ticket, *, actor: User, comment: Comment) -> None:
    if ticket.owner is not None and ticket.owner_id != actor.pk:
        _notify(
            [ticket.owner],
            ticket,
            _("%(actor)s commented on #%(number)d")
            % {"actor": actor.display_name, "number": ticket.pk},
            actor=actor,
        )
