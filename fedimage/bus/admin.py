"""The bus outbox in the admin: read-only, to see what waits and why."""

from django.contrib import admin

from fedimage.bus.models import BusMessage


@admin.register(BusMessage)
class BusMessageAdmin(admin.ModelAdmin):
    list_display = ("topic", "status", "created_at", "sent_at", "attempts", "last_error")
    list_filter = ("status", "topic")
    search_fields = ("id", "topic")
    ordering = ("-created_at",)
    readonly_fields = [f.name for f in BusMessage._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
