"""Admin: the read-only base of every app's admin for rows a service owns, and the task outbox,
read-only (what waits for the broker, and why)."""

from django.contrib import admin
from django.db import models

from fedimage.core.models import OutboxMessage

# Django 6 assumes https for scheme-less URLs; say so now (and silence the transition warning).
URL_OVERRIDES = {models.URLField: {"assume_scheme": "https"}}


class ReadOnlyAdmin:
    """Rows a service owns, to look at (a model admin or an inline): the service is the one way
    to change them, so its history, events and notifications are never skipped."""

    formfield_overrides = URL_OVERRIDES

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("task", "created_at", "attempts", "last_attempt_at", "last_error")
    list_filter = ("task",)
    ordering = ("created_at", "id")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
