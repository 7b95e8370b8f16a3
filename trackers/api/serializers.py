from rest_framework import serializers

from trackers.models import SyncRun, TrackedIssue, TrackerSource


class TrackerSourceSerializer(serializers.ModelSerializer):
    """A source and its sync state; `token_env` is the variable's name, never its value."""

    subproject = serializers.SlugRelatedField(slug_field="key", read_only=True)
    web_url = serializers.CharField(read_only=True)
    issues_held = serializers.IntegerField(read_only=True)
    issues_open = serializers.IntegerField(read_only=True)
    requests_24h = serializers.IntegerField(read_only=True)
    is_failing = serializers.BooleanField(read_only=True)

    class Meta:
        model = TrackerSource
        fields = [
            "name", "kind", "base_url", "project", "is_group", "web_url", "board_id",
            "board_name", "board_columns", "token_env", "upstream", "subproject", "enabled",
            "cursor", "last_run_at", "last_success_at", "last_error_at", "last_error",
            "is_failing", "rate_limit_remaining", "rate_limit_reset", "paused_until",
            "issues_held", "issues_open", "requests_24h",
        ]  # fmt: skip


class TrackedIssueSerializer(serializers.ModelSerializer):
    source = serializers.SlugRelatedField(slug_field="name", read_only=True)
    reference = serializers.CharField(read_only=True)
    moved_to_issue = serializers.StringRelatedField(read_only=True)

    class Meta:
        model = TrackedIssue
        fields = [
            "id", "source", "project", "number", "reference", "title", "body", "state", "labels",
            "milestone", "assignees", "author", "web_url", "created_at", "updated_at",
            "closed_at", "board_column", "confidential", "moved_to", "moved_to_issue",
            "removed", "removed_at", "synced_at",
        ]  # fmt: skip


class SyncRunSerializer(serializers.ModelSerializer):
    source = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = SyncRun
        fields = [
            "id", "source", "kind", "trigger", "status", "started_at", "finished_at", "duration",
            "cursor_before", "cursor_after", "created", "updated", "unchanged", "removed",
            "requests", "pages", "rate_limit_remaining", "error", "skipped", "changes",
        ]  # fmt: skip
