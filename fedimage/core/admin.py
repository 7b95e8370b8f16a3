"""Admin: the task outbox, read-only (what waits for the broker, and why)."""

from django.contrib import admin

from fedimage.core.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("task", "created_at", "attempts", "last_attempt_at", "last_error")
    list_filter = ("task",)
    ordering = ("created_at", "id")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
