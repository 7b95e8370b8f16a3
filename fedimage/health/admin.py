"""Admin for the leads, read-only: watched images come from the initiative file, their states
and state changes from the polls."""

from django.contrib import admin

from fedimage.core.admin import ReadOnlyAdmin
from fedimage.health.models import StateChange, TagState, WatchedImage


class TagStateInline(admin.TabularInline):
    model = TagState
    fields = ["tag", "active", "state", "reason", "state_since", "digest", "built_at", "blocker"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(WatchedImage)
class WatchedImageAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["key", "name", "registry", "repository", "subproject", "milestone", "active"]
    list_filter = ["active", "registry", "signature_expected", "subproject"]
    search_fields = ["key", "name", "repository"]
    inlines = [TagStateInline]


@admin.register(StateChange)
class StateChangeAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["tag", "at", "old_state", "new_state", "reason"]
    list_filter = ["new_state"]
    list_select_related = ["tag__image"]
    date_hierarchy = "at"
