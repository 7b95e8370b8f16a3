"""The admin: configuration rows, and read-only views (with history) of what the services own.

Milestones, migrations and blockers change only through their services (the dashboard and the
API), so history and notifications are never skipped: here they can be looked at, not edited.
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from fedimage.core.admin import URL_OVERRIDES, ReadOnlyAdmin
from fedimage.initiative.models import (
    Blocker,
    Initiative,
    Migration,
    Milestone,
    Release,
    Subproject,
)


@admin.register(Initiative)
class InitiativeAdmin(admin.ModelAdmin):
    formfield_overrides = URL_OVERRIDES
    list_display = ["name", "lead", "matrix_room"]

    def has_add_permission(self, request) -> bool:
        # One initiative, written by the initiative file.
        return not Initiative.objects.exists() and super().has_add_permission(request)


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "beta_target", "final_target", "released_on"]
    search_fields = ["name", "key"]


class ReadOnlyHistoryAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    """Rows and their history to look at; the services are the one way to change them."""


@admin.register(Milestone)
class MilestoneAdmin(ReadOnlyHistoryAdmin):
    list_display = ["title", "release", "target_date", "status", "status_confirmed_at", "stretch"]
    list_filter = ["release", "status", "stretch"]
    search_fields = ["title", "key", "owner"]
    list_select_related = ["release"]


@admin.register(Subproject)
class SubprojectAdmin(admin.ModelAdmin):
    formfield_overrides = URL_OVERRIDES
    list_display = ["name", "kind", "owners", "matrix_room"]
    list_filter = ["kind"]
    search_fields = ["name", "key", "owners"]


@admin.register(Migration)
class MigrationAdmin(ReadOnlyHistoryAdmin):
    formfield_overrides = URL_OVERRIDES
    list_display = ["subproject", "stage", "beta_target", "production_target", "confirmed_at"]
    list_filter = ["stage"]
    list_select_related = ["subproject", "beta_target", "production_target"]


@admin.register(Blocker)
class BlockerAdmin(ReadOnlyHistoryAdmin):
    formfield_overrides = URL_OVERRIDES
    list_display = ["id", "title", "severity", "status", "category", "reporter", "owner", "private"]
    list_filter = ["status", "severity", "category", "private"]
    search_fields = ["title", "description"]
    filter_horizontal = ["milestones", "subprojects"]
    raw_id_fields = ["reporter", "owner"]
    list_select_related = ["reporter", "owner"]
