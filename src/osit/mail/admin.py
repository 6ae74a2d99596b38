"""The e-mail channel in the admin site: the quarantine (with retry), the outbox (with its
errors, and a retry now), received messages and the notification templates."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from osit.mail import pipeline
from osit.mail.models import (
    InboundMessage,
    InboundStatus,
    MailTemplate,
    OutboundMail,
    OutboundStatus,
)


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "received_at",
        "source",
        "sender",
        "subject",
        "status",
        "robot",
        "ticket",
        "attempts",
    )
    list_filter = ("status", "source", "robot")
    search_fields = ("sender", "subject", "message_id")
    readonly_fields = [f.name for f in InboundMessage._meta.fields if f.name != "raw"] + [
        "raw_text"
    ]
    exclude = ("raw",)
    actions = ["retry"]

    @admin.display(description=_("raw message"))
    def raw_text(self, obj: InboundMessage) -> str:
        return bytes(obj.raw)[:200_000].decode("utf-8", "replace")

    @admin.action(description=_("Process the selected messages again"))
    def retry(self, request, queryset) -> None:
        done = 0
        for message in queryset.filter(status=InboundStatus.QUARANTINED):
            if pipeline.retry(message.pk).status != InboundStatus.QUARANTINED:
                done += 1
        self.message_user(request, _("%(n)d message(s) applied.") % {"n": done}, messages.INFO)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OutboundMail)
class OutboundMailAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "created_at",
        "event",
        "recipients",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
    )
    list_filter = ("status", "event")
    search_fields = ("subject", "message_id")
    readonly_fields = [f.name for f in OutboundMail._meta.fields]
    actions = ["retry_now"]

    @admin.display(description=_("recipients"))
    def recipients(self, obj: OutboundMail) -> str:
        return ", ".join([*obj.to, *obj.cc])

    @admin.action(description=_("Retry the selected mail now"))
    def retry_now(self, request, queryset) -> None:
        n = queryset.filter(status=OutboundStatus.PENDING).update(next_attempt_at=timezone.now())
        self.message_user(request, _("%(n)d mail(s) will be retried.") % {"n": n}, messages.INFO)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(MailTemplate)
class MailTemplateAdmin(admin.ModelAdmin):
    list_display = ("event", "language", "subject")
    list_filter = ("event", "language")
