"""The ticket and what hangs off it. State changes go through osit.tickets.actions only."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from osit.tickets.choices import (
    UNOWNED_STATUSES,
    Channel,
    Criticality,
    Severity,
    Status,
    TicketType,
    Visibility,
    WatcherKind,
)

User = settings.AUTH_USER_MODEL


class Ticket(models.Model):
    # The number is the primary key: an identity column on PostgreSQL and an AUTOINCREMENT rowid
    # on SQLite, both unique under concurrent inserts without a lock of our own, never reused.
    subject = models.CharField(_("subject"), max_length=250)
    description = models.TextField(_("description"), blank=True)
    # A foreign key's own index is left out where a composite index starts with its column
    # (requester, service, owner below; the same on the other models): it serves the same
    # lookups, and every insert would otherwise write both.
    requester = models.ForeignKey(
        User,
        verbose_name=_("requester"),
        on_delete=models.PROTECT,
        related_name="requested",
        db_index=False,  # ticket_requester_idx
    )
    extra_requesters: models.ManyToManyField = models.ManyToManyField(
        User, verbose_name=_("extra requesters"), blank=True, related_name="co_requested"
    )
    organisation = models.ForeignKey(
        "directory.Organisation",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    site = models.ForeignKey(
        "directory.Site", verbose_name=_("site"), null=True, blank=True, on_delete=models.PROTECT
    )
    application = models.ForeignKey(
        "directory.Application",
        verbose_name=_("application"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    # Null while a portal ticket waits for first-level routing.
    service = models.ForeignKey(
        "directory.Service",
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
        db_index=False,  # ticket_queue_idx
    )
    owner = models.ForeignKey(
        User,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned",
        db_index=False,  # ticket_owner_idx
    )
    created_by = models.ForeignKey(
        User, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    type = models.CharField(
        _("type"), max_length=20, choices=TicketType.choices, default=TicketType.INCIDENT
    )
    severity = models.CharField(_("severity"), max_length=12, choices=Severity.choices)
    criticality = models.CharField(_("criticality"), max_length=16, choices=Criticality.choices)
    priority = models.PositiveSmallIntegerField(_("priority"))
    priority_reason = models.TextField(_("reason for the priority"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    time_spent_minutes = models.PositiveIntegerField(_("time spent (minutes)"), default=0)
    comment_count = models.PositiveIntegerField(default=0)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    status_changed_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every action; the API's ETag and If-Match.
    version = models.PositiveIntegerField(default=1)
    # Set when this ticket was merged into another: its number leads to the survivor.
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
    )

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            # Queue pages: a service's tickets in a status set, most urgent first.
            models.Index(fields=["service", "status", "priority", "id"], name="ticket_queue_idx"),
            models.Index(fields=["owner", "status", "priority", "id"], name="ticket_owner_idx"),
            models.Index(fields=["status", "priority", "id"], name="ticket_status_idx"),
            models.Index(fields=["requester", "id"], name="ticket_requester_idx"),
            models.Index(fields=["status", "resolved_at"], name="ticket_resolved_idx"),
            models.Index(fields=["status", "closed_at"], name="ticket_closed_idx"),
            # The active tickets (a few per cent of a desk) in the default page order, for a
            # queue and for My tickets: the first page is the index's first rows, the count an
            # index-only scan (issue 5). Queries say ``status <> closed`` to match.
            models.Index(
                fields=["service", "priority", "created_at", "id"],
                condition=~models.Q(status="closed"),
                name="ticket_active_queue_idx",
            ),
            models.Index(
                fields=["owner", "priority", "created_at", "id"],
                condition=~models.Q(status="closed"),
                name="ticket_active_owner_idx",
            ),
            # New and unowned (the home page's second table): per service, and for first level
            # across every service.
            models.Index(
                fields=["service", "priority", "created_at", "id"],
                condition=models.Q(owner__isnull=True, status__in=UNOWNED_STATUSES),
                name="ticket_unowned_idx",
            ),
            models.Index(
                fields=["priority", "created_at", "id"],
                condition=models.Q(owner__isnull=True, status__in=UNOWNED_STATUSES),
                name="ticket_unowned_all_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(priority__gte=1, priority__lte=5), name="ticket_priority_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def number(self) -> int:
        return int(self.pk)

    @property
    def is_closed(self) -> bool:
        return self.status == Status.CLOSED


class LinkKind(models.TextChoices):
    """How ``source`` relates to ``target``; each reads the other way from the target's side."""

    DEPENDS_ON = "depends_on", _("depends on")
    PARENT_OF = "parent_of", _("parent of")
    REFERS_TO = "refers_to", _("refers to")
    DUPLICATE_OF = "duplicate_of", _("duplicate of")
    MASTER_OF = "master_of", _("master of")


# The same link read from the target's side.
INVERSE_LABELS = {
    LinkKind.DEPENDS_ON: _("blocks"),
    LinkKind.PARENT_OF: _("child of"),
    LinkKind.REFERS_TO: _("referred to by"),
    LinkKind.DUPLICATE_OF: _("duplicated by"),
    LinkKind.MASTER_OF: _("slave of"),
}


class TicketLink(models.Model):
    source = models.ForeignKey(  # link_unique
        Ticket, on_delete=models.CASCADE, related_name="links_out", db_index=False
    )
    target = models.ForeignKey(  # link_target_idx
        Ticket, on_delete=models.CASCADE, related_name="links_in", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=16, choices=LinkKind.choices)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("link")
        verbose_name_plural = _("links")
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="link_unique"),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="link_not_self"
            ),
        ]
        indexes = [models.Index(fields=["target", "kind"], name="link_target_idx")]

    def __str__(self) -> str:
        return f"#{self.source_id} {self.kind} #{self.target_id}"


class Comment(models.Model):
    ticket = models.ForeignKey(  # comment_ticket_idx
        Ticket, on_delete=models.PROTECT, related_name="comments", db_index=False
    )
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("text"))
    visibility = models.CharField(_("visibility"), max_length=10, choices=Visibility.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["ticket", "id"], name="comment_ticket_idx")]

    def __str__(self) -> str:
        return f"comment {self.pk} on #{self.ticket_id}"

    @property
    def is_internal(self) -> bool:
        return self.visibility == Visibility.INTERNAL


class ActivityType(models.Model):
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    billable_by_default = models.BooleanField(_("billable by default"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("activity type")
        verbose_name_plural = _("activity types")

    def __str__(self) -> str:
        return self.name


class TimeEntry(models.Model):
    """An intervention: what was done, how long, when, of what kind, billable or not."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="time_entries")
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.PROTECT, related_name="time_entries"
    )
    technician = models.ForeignKey(  # timeentry_tech_idx
        User, on_delete=models.PROTECT, related_name="time_entries", db_index=False
    )
    minutes = models.PositiveIntegerField(_("minutes"))
    date = models.DateField(_("date"))
    activity = models.ForeignKey(
        ActivityType, verbose_name=_("activity"), null=True, blank=True, on_delete=models.PROTECT
    )
    billable = models.BooleanField(_("billable"), default=True)
    text = models.TextField(_("what was done"), blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("intervention")
        verbose_name_plural = _("interventions")
        indexes = [models.Index(fields=["technician", "date"], name="timeentry_tech_idx")]

    def __str__(self) -> str:
        return f"{self.minutes} min on #{self.ticket_id}"


class Watcher(models.Model):
    ticket = models.ForeignKey(  # watcher_unique
        Ticket, on_delete=models.CASCADE, related_name="watchers", db_index=False
    )
    user = models.ForeignKey(  # watcher_user_idx
        User, on_delete=models.CASCADE, related_name="watching", db_index=False
    )
    kind = models.CharField(max_length=8, choices=WatcherKind.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "user", "kind"], name="watcher_unique")
        ]
        indexes = [models.Index(fields=["user", "ticket"], name="watcher_user_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.user_id} on #{self.ticket_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # Content-addressed under the ticket: the original name is kept in the row, not on disk, so
    # a hostile file name never reaches the file system.
    return f"tickets/{instance.ticket_id}/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(models.Model):
    ticket = models.ForeignKey(  # attachment_ticket_idx
        Ticket, on_delete=models.PROTECT, related_name="attachments", db_index=False
    )
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, max_length=300)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=150)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    # Copied from the comment it came with: an internal note's files are internal too.
    internal = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["ticket", "id"], name="attachment_ticket_idx")]

    def __str__(self) -> str:
        return self.filename


class Notification(models.Model):
    """An in-app message (the bell): re-routed to your service, assigned to you…"""

    user = models.ForeignKey(  # notification_user_idx
        User, on_delete=models.CASCADE, related_name="notifications", db_index=False
    )
    ticket = models.ForeignKey(Ticket, null=True, on_delete=models.CASCADE, related_name="+")
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "read_at", "id"], name="notification_user_idx")]

    def __str__(self) -> str:
        return self.message
