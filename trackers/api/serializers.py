from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from trackers.models import SyncRun, TrackedIssue, TrackerSource
from trackers.status import STATES, source_status


class ListingStatusSerializer(serializers.Serializer):
    """Where the source's listings stand; webhook runs never change it."""

    state = serializers.ChoiceField(choices=sorted(STATES), read_only=True)
    text = serializers.CharField(read_only=True, help_text="The status in words.")
    failing_since = serializers.DateTimeField(read_only=True, allow_null=True)
    paused_until = serializers.DateTimeField(read_only=True, allow_null=True)
    resume_page = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The page the unfinished listing goes on at."
    )
    pages_total = serializers.IntegerField(read_only=True, allow_null=True)


class TrackerSourceSerializer(serializers.ModelSerializer):
    """A source and its sync state; `token_env` is the variable's name, never its value."""

    subproject = serializers.SlugRelatedField(slug_field="key", read_only=True)
    web_url = serializers.CharField(read_only=True)
    requests_24h = serializers.IntegerField(read_only=True)
    is_failing = serializers.BooleanField(read_only=True)
    listing_status = serializers.SerializerMethodField()

    class Meta:
        model = TrackerSource
        fields = [
            "name", "kind", "base_url", "project", "is_group", "web_url", "board_id",
            "board_name", "board_columns", "token_env", "upstream", "subproject", "enabled",
            "cursor", "last_run_at", "last_success_at", "last_error_at", "last_error",
            "is_failing", "failing_since", "listing_status", "rate_limit_remaining",
            "rate_limit_reset", "paused_until", "issues_held", "issues_open", "requests_24h",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(ListingStatusSerializer)
    def get_listing_status(self, source: TrackerSource) -> dict:
        return ListingStatusSerializer(source_status(source)).data


class TrackedIssueSerializer(serializers.ModelSerializer):
    source = serializers.SlugRelatedField(slug_field="name", read_only=True)
    reference = serializers.CharField(read_only=True)
    moved_to_issue = serializers.StringRelatedField(read_only=True)

    class Meta:
        model = TrackedIssue
        fields = [
            "id", "source", "project", "number", "reference", "title", "body", "state", "labels",
            "milestone", "assignees", "author", "author_migrated", "web_url", "created_at",
            "updated_at", "closed_at", "board_column", "confidential", "moved_to",
            "moved_to_issue", "removed", "removed_at", "synced_at",
        ]  # fmt: skip


class SyncRunSerializer(serializers.ModelSerializer):
    source = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = SyncRun
        fields = [
            "id", "source", "kind", "trigger", "status", "started_at", "finished_at", "duration",
            "cursor_before", "cursor_after", "created", "updated", "unchanged", "removed",
            "requests", "pages", "pages_total", "resumed_after_page", "waited",
            "rate_limit_remaining", "error", "skipped", "changes", "changes_total",
        ]  # fmt: skip
