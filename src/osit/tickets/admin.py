"""Admin: activity types are configuration; tickets and history are shown read-only."""

from __future__ import annotations

from django.contrib import admin

from osit.audit.models import Event
from osit.tickets.models import ActivityType, Ticket


@admin.register(ActivityType)
class ActivityTypeAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "billable_by_default")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ("id", "subject", "status", "priority", "service", "owner", "updated_at")
    list_filter = ("status", "service")
    search_fields = ("subject",)
    list_select_related = ("service", "owner")
    show_full_result_count = False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("seq", "created_at", "ticket_id", "actor_label", "channel", "kind")
    list_filter = ("kind", "channel")
    show_full_result_count = False
