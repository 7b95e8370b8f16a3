"""Admin for the leads: watched images come from the initiative file, so they are read here."""

from django.contrib import admin

from fedimage.health.models import StateChange, TagState, WatchedImage


class TagStateInline(admin.TabularInline):
    model = TagState
    fields = ["tag", "active", "state", "reason", "state_since", "digest", "built_at", "blocker"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(WatchedImage)
class WatchedImageAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "registry", "repository", "subproject", "milestone", "active"]
    list_filter = ["active", "registry", "signature_expected", "subproject"]
    search_fields = ["key", "name", "repository"]
    inlines = [TagStateInline]


@admin.register(StateChange)
class StateChangeAdmin(admin.ModelAdmin):
    list_display = ["tag", "at", "old_state", "new_state", "reason"]
    list_filter = ["new_state"]
    list_select_related = ["tag__image"]
    date_hierarchy = "at"
