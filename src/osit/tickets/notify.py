"""Who is told about a change. Called by actions inside their transaction.

In-app notifications (the bell) and the e-mail outbox (osit.mail.outbox), so the rule of who
hears about what lives in one place for every channel. Work of the system account (automatic
notes about robots' mail) is not announced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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


def _mail() -> Any:
    from osit.mail import outbox

    return outbox


def _system(actor: User) -> bool:
    return actor.username == "osit-system"


def ticket_created(ticket: Ticket, *, actor: User) -> None:
    """New tickets show in their service's "New and unowned" list; the requester gets an
    acknowledgement with the number by mail."""
    if not _system(actor):
        _mail().ticket_created(ticket, actor=actor)


def rerouted(
    ticket: Ticket,
    *,
    actor: User,
    old_service: Service | None,
    comment: Comment,
    old_owner: User | None = None,
) -> None:
    _mail().rerouted(ticket, actor=actor, old_owner=old_owner)
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
    if not _system(actor) or new == "closed":
        _mail().status_changed(ticket, actor=actor, old=old, new=new, comment=comment)
    if ticket.owner is not None and ticket.owner_id != actor.pk:
        _notify(
            [ticket.owner],
            ticket,
            _("#%(number)d is now %(status)s")
            % {"number": ticket.pk, "status": ticket.get_status_display()},
            actor=actor,
        )


def commented(ticket: Ticket, *, actor: User, comment: Comment) -> None:
    if _system(actor):
        return
    _mail().commented(ticket, actor=actor, comment=comment)
    if ticket.owner is not None and ticket.owner_id != actor.pk:
        _notify(
            [ticket.owner],
            ticket,
            _("%(actor)s commented on #%(number)d")
            % {"actor": actor.display_name, "number": ticket.pk},
            actor=actor,
        )
