"""Configuration in Django's admin (/admin/), for admins: services, applications, people.

Tickets are not edited here: every change to a ticket goes through the actions, which record
it in the history.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from osit.core.errors import InvalidInput
from osit.directory.models import ApiToken, Application, Organisation, Service, Site, User
from osit.tickets.priority import validate_matrix


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "phone", "is_active")
    list_filter = ("groups", "is_active", "organisation", "site")
    search_fields = ("username", "email", "first_name", "last_name", "phone")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Desk"), {"fields": ("phone", "organisation", "site", "language")}),
    )


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "email", "comment_email", "is_active")
    search_fields = ("slug", "name")
    filter_horizontal = ("members",)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        original_clean = form.clean

        def clean(self_form):
            data = original_clean(self_form)
            try:
                validate_matrix(data.get("priority_matrix") or {})
            except InvalidInput as exc:
                raise ValidationError({"priority_matrix": exc.message}) from None
            return data

        form.clean = clean
        return form


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "service", "is_active")
    list_filter = ("service", "is_active")
    search_fields = ("slug", "name")
    list_select_related = ("service",)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "share_tickets")
    search_fields = ("slug", "name")


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("slug", "name")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("user", "name", "prefix", "digest", "created_at", "last_used_at")
    list_select_related = ("user",)

    def has_add_permission(self, request):
        return False  # tokens are created by `osit token create` or the profile page
