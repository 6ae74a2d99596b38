"""The web session, with the user it belongs to as a column (issue 5).

Django's session row keeps the user inside its signed blob, so every page read the session, then
the user, then the user's roles and services: three statements before the view began. With the
user's id beside the blob, ``osit.web.sessions`` reads all of it in one.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils.translation import gettext_lazy as _


class WebSession(AbstractBaseSession):
    # Deleting a user ends their sessions; a session without a user is an anonymous one.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )

    class Meta(AbstractBaseSession.Meta):
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    @classmethod
    def get_session_store_class(cls):  # type: ignore[no-untyped-def]
        from osit.web.sessions import SessionStore

        return SessionStore
