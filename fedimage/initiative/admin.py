from django.contrib import admin
from django.db import models
from simple_history.admin import SimpleHistoryAdmin

from fedimage.initiative.models import (
    Blocker,
    Initiative,
    Migration,
    Milestone,
    Release,
    Snapshot,
    Subproject,
)

# Django 6 assumes https for scheme-less URLs; say so now (and silence the transition warning).
URL_OVERRIDES = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Initiative)
class InitiativeAdmin(admin.ModelAdmin):
    formfield_overrides = URL_OVERRIDES
    list_display = ["name", "lead", "matrix_room"]


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "beta_target", "final_target", "released_on"]
    search_fields = ["name", "key"]


@admin.register(Milestone)
class MilestoneAdmin(SimpleHistoryAdmin):
    list_display = ["title", "release", "target_date", "status", "status_confirmed_at", "stretch"]
    list_filter = ["release", "status", "stretch"]
    search_fields = ["title", "key", "owner"]
    list_select_related = ["release"]


class MigrationInline(admin.StackedInline):
    formfield_overrides = URL_OVERRIDES
    model = Migration
    extra = 0


@admin.register(Subproject)
class SubprojectAdmin(admin.ModelAdmin):
    formfield_overrides = URL_OVERRIDES
    list_display = ["name", "kind", "owners", "matrix_room"]
    list_filter = ["kind"]
    search_fields = ["name", "key", "owners"]
    inlines = [MigrationInline]


@admin.register(Migration)
class MigrationAdmin(SimpleHistoryAdmin):
    formfield_overrides = URL_OVERRIDES
    list_display = ["subproject", "stage", "beta_target", "production_target", "confirmed_at"]
    list_filter = ["stage"]
    list_select_related = ["subproject", "beta_target", "production_target"]


@admin.register(Blocker)
class BlockerAdmin(SimpleHistoryAdmin):
    formfield_overrides = URL_OVERRIDES
    list_display = ["id", "title", "severity", "status", "category", "reporter", "owner", "private"]
    list_filter = ["status", "severity", "category", "private"]
    search_fields = ["title", "description"]
    filter_horizontal = ["milestones", "subprojects"]
    raw_id_fields = ["reporter", "owner"]
    list_select_related = ["reporter", "owner"]


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    list_display = [
        "day",
        "open_blockers",
        "open_critical",
        "milestones_done",
        "subprojects_production",
    ]
