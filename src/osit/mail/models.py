"""What the e-mail channel keeps: every message received (raw, before parsing), the Message-IDs
that thread conversations, and the outbox of mail to send."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class InboundStatus(models.TextChoices):
    RECEIVED = "received", _("received")  # stored, not processed yet
    APPLIED = "applied", _("applied")  # became a ticket or a comment
    RECORDED = "recorded", _("recorded")  # a robot's message, noted on the ticket, not answered
    DUPLICATE = "duplicate", _("duplicate")  # same Message-ID as one already applied
    REFUSED = "refused", _("refused")  # unknown sender on a closed service
    QUARANTINED = "quarantined", _("quarantined")  # failed: waits for `osit mail retry`


class InboundMessage(models.Model):
    """A message as it arrived. The raw bytes are stored before anything else happens."""

    received_at = models.DateTimeField(_("received"))
    source = models.CharField(_("source"), max_length=16)  # mailgate, lmtp, imap
    recipient = models.CharField(_("envelope recipient"), max_length=254, blank=True)
    service = models.ForeignKey(
        "directory.Service", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=12, default="correspond")  # correspond | comment
    raw = models.BinaryField()
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    sender = models.CharField(_("sender"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=250, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=InboundStatus.choices, default=InboundStatus.RECEIVED
    )
    robot = models.CharField(max_length=16, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.ForeignKey(
        "tickets.Comment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("received message")
        verbose_name_plural = _("received messages")
        indexes = [models.Index(fields=["status", "id"], name="inbound_status_idx")]

    def __str__(self) -> str:
        return f"{self.sender}: {self.subject}"


class MessageRef(models.Model):
    """A Message-ID OSIT has seen or sent, and the ticket it belongs to (for threading)."""

    message_id = models.CharField(max_length=255, unique=True)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    outgoing = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.message_id


class OutboundStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    SENT = "sent", _("sent")


class OutboundMail(models.Model):
    """The outbox: written in the transaction of the change, delivered by a background job with
    retries and back-off; never dropped (a failing one stays pending with its error)."""

    created_at = models.DateTimeField()
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    event = models.CharField(max_length=32)
    language = models.CharField(max_length=8, default="en")
    sender = models.CharField(max_length=254)
    reply_to = models.CharField(max_length=254, blank=True)
    to = models.JSONField(default=list)
    cc = models.JSONField(default=list)
    subject = models.CharField(max_length=300)
    text = models.TextField()
    html = models.TextField(blank=True)
    headers = models.JSONField(default=dict)
    message_id = models.CharField(max_length=255, unique=True)
    status = models.CharField(
        max_length=8, choices=OutboundStatus.choices, default=OutboundStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing mail")
        verbose_name_plural = _("outgoing mail")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx"),
            models.Index(fields=["created_at"], name="outbox_created_idx"),
            # The per-address limit of acknowledgements reads the last hour's (outbox.py).
            models.Index(fields=["event", "created_at"], name="outbox_event_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {', '.join(self.to)}"


class MailTemplate(models.Model):
    """An administrator's version of one notification (event × language); the shipped one
    applies when there is none."""

    event = models.CharField(_("event"), max_length=32)
    language = models.CharField(_("language"), max_length=8)
    subject = models.CharField(_("subject"), max_length=300)
    text = models.TextField(_("text part"))
    html = models.TextField(_("HTML part"), blank=True)

    class Meta:
        verbose_name = _("mail template")
        verbose_name_plural = _("mail templates")
        constraints = [
            models.UniqueConstraint(fields=["event", "language"], name="mailtemplate_unique")
        ]

    def __str__(self) -> str:
        return f"{self.event} ({self.language})"
