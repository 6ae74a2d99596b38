"""Template context shared by every page: the navigation for the user's role."""

from __future__ import annotations

from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_is_agent": False}
    from osit.tickets.models import Notification
    from osit.tickets.policy import is_agent

    agent = is_agent(user)

    counted: list[int] = []

    def unread() -> int:
        # Lazy: evaluated only by pages that render the header, and once however often used.
        if not counted and user.unread_notifications is not None:
            counted.append(user.unread_notifications)  # read with the session
        if not counted:
            counted.append(Notification.objects.filter(user=user, read_at__isnull=True).count())
        return counted[0]

    return {
        "nav_is_agent": agent,
        "nav_role": user.primary_role,
        "nav_unread": unread if agent else 0,
    }
