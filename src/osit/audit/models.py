"""The append-only, hash-chained history of everything that happens (SPEC §2 History).

Every event carries ``seq`` (1, 2, 3… with no gap), the hash of the event before it and its own
hash over its content. ``ChainHead`` holds the last ``seq`` and hash, so a deleted tail is noticed
too. ``osit audit verify`` recomputes the chain (osit.audit.chain.verify).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    seq = models.BigIntegerField(unique=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="events",
        db_index=False,  # event_ticket_seq_idx (ticket, seq) serves it
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    # Kept with the event so the history still reads right if the account is renamed.
    actor_label = models.CharField(max_length=150)
    channel = models.CharField(max_length=16)
    kind = models.CharField(max_length=32)
    # Internal events (notes, their attachments, time entries) are never shown to requesters.
    internal = models.BooleanField(default=False)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["ticket", "seq"], name="event_ticket_seq_idx")]
        verbose_name = _("history event")
        verbose_name_plural = _("history events")

    def __str__(self) -> str:
        return f"{self.seq} {self.kind}"


class ChainHead(models.Model):
    """One row: the last event of the chain. Locked while appending, so the chain never forks."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("history chain head")

    def __str__(self) -> str:
        return f"head at {self.seq}"
