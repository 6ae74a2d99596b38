"""What the API must remember between requests: idempotency keys of ticket creation."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class IdempotencyKey(models.Model):
    """``POST /tickets`` with an ``Idempotency-Key``: the same key and body give the same ticket.

    The row is written in the transaction that creates the ticket, so a retry either finds it
    (and gets the first ticket back) or finds nothing because nothing was created. Keys expire
    after 24 hours (``purge_idempotency_keys`` job).
    """

    user = models.ForeignKey(  # idempotency_user_key
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    key = models.CharField(max_length=200)
    body_digest = models.CharField(max_length=64)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key"),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self) -> str:
        return f"{self.key} → #{self.ticket_id}"
