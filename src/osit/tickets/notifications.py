"""Reading the in-app notifications (the bell). Who gets one is decided in notify.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils import timezone

from osit.tickets.models import Notification

if TYPE_CHECKING:
    from osit.directory.models import User


def notifications_for(user: User) -> QuerySet[Notification]:
    """``user``'s notifications, newest first."""
    return Notification.objects.filter(user_id=user.pk).order_by("-created_at", "-id")


def mark_notifications_read(user: User) -> int:
    """Mark every unread notification of ``user`` read now; return how many were unread."""
    marked = Notification.objects.filter(user_id=user.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    user.unread_notifications = 0  # the count read with the session, for this page's header
    return marked
