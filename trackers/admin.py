"""The trackers admin: sources (from the initiative file) with their sync state; issues, runs and
webhook deliveries, which only the sync writes, read-only."""

from django.contrib import admin

from fedimage.core.admin import URL_OVERRIDES, ReadOnlyAdmin
from trackers.models import SyncRun, TrackedIssue, TrackerSource, WebhookDelivery


@admin.register(TrackerSource)
class TrackerSourceAdmin(admin.ModelAdmin):
    """Sources come from the initiative file; the admin shows their sync state."""

    formfield_overrides = URL_OVERRIDES
    list_display = ["name", "kind", "project", "enabled", "last_success_at", "last_error_at"]
    list_filter = ["kind", "enabled", "upstream"]
    search_fields = ["name", "project"]
    readonly_fields = [
        "cursor", "etag", "board_name", "board_columns", "last_run_at", "last_success_at",
        "last_error_at", "last_error", "rate_limit_remaining", "rate_limit_reset",
        "paused_until", "failing_since", "listing", "issues_held", "issues_open", "last_run",
    ]  # fmt: skip


@admin.register(TrackedIssue)
class TrackedIssueAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["__str__", "title", "state", "source", "updated_at", "removed"]
    list_filter = ["source", "state", "removed", "confidential"]
    search_fields = ["title", "project"]
    list_select_related = ["source"]
    raw_id_fields = ["moved_to_issue"]


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = [
        "source",
        "kind",
        "status",
        "started_at",
        "created",
        "updated",
        "removed",
        "requests",
    ]
    list_filter = ["status", "kind", "source"]
    list_select_related = ["source"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["kind", "delivery_id", "source", "event", "issue_number", "received_at"]
    list_filter = ["kind"]
