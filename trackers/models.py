"""Issue trackers: the sources fedimage syncs, the issues it holds, its sync ledger, webhooks."""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.urls import reverse
from django.utils import timezone

GITHUB_API = "https://api.github.com"


class TrackerKind(models.TextChoices):
    GITLAB = "gitlab", "GitLab"
    GITHUB = "github", "GitHub"
    FORGEJO = "forgejo", "Forgejo"


class IssueState(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class RunKind(models.TextChoices):
    INCREMENTAL = "incremental", "Incremental"
    FULL = "full", "Full (reconcile)"
    ISSUE = "issue", "One issue (webhook)"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    OK = "ok", "OK"
    NOT_MODIFIED = "not_modified", "Not modified"
    FAILED = "failed", "Failed"
    # Found still running by a later sync of its source: its worker died mid-run.
    INTERRUPTED = "interrupted", "Interrupted"


def _choices_check(field: str, choices: type[models.Choices], name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=models.Q(**{f"{field}__in": choices.values}), name=name)


class TrackerSource(models.Model):
    """A tracker project, repository or GitLab group whose issues fedimage syncs.

    Written from the initiative file. The token is never stored: `token_env` names the
    environment variable that holds it, `webhook_secret_env` the one holding the hook secret.
    """

    name = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=10, choices=TrackerKind.choices)
    base_url = models.URLField(max_length=300, help_text="API base, e.g. https://gitlab.com.")
    project = models.CharField(max_length=300, help_text="Project path, owner/name or group path.")
    is_group = models.BooleanField(default=False)
    board_id = models.PositiveIntegerField(
        null=True, blank=True, help_text="GitLab board whose lists are columns; unset: the first."
    )
    token_env = models.CharField(max_length=100, blank=True)
    webhook_secret_env = models.CharField(max_length=100, blank=True)
    upstream = models.BooleanField(default=False, help_text="Shown in the upstream issues view.")
    subproject = models.ForeignKey(
        "initiative.Subproject",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tracker_sources",
    )
    enabled = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)
    # Sync state, written by the sync service only.
    cursor = models.DateTimeField(null=True, blank=True)
    etag = models.CharField(max_length=200, blank=True, help_text="Valid for `cursor` only.")
    board_name = models.CharField(max_length=200, blank=True)
    board_columns = models.JSONField(default=list, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    rate_limit_remaining = models.PositiveIntegerField(null=True, blank=True)
    rate_limit_reset = models.DateTimeField(null=True, blank=True)
    paused_until = models.DateTimeField(
        null=True, blank=True, help_text="Rate limited: no periodic sync before this time."
    )
    # The outcome of listings only: webhook runs never set or clear these.
    failing_since = models.DateTimeField(
        null=True, blank=True, help_text="First failed listing since the last good one."
    )
    backoff_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Failing: no periodic sync before this time (Sync now still runs).",
    )
    listing = models.JSONField(
        default=dict,
        blank=True,
        help_text="The listing under way: where it resumes, saved after every stored page.",
    )
    # Summaries for the status page, written when a run changes them.
    issues_held = models.PositiveIntegerField(default=0)
    issues_open = models.PositiveIntegerField(default=0)
    last_run = models.ForeignKey(
        "SyncRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["order", "name"]
        constraints = [
            _choices_check("kind", TrackerKind, "tracker_source_kind_valid"),
            models.UniqueConstraint(
                fields=["kind", "base_url", "project"], name="tracker_source_unique_project"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("trackers:source-detail", kwargs={"name": self.name})

    @property
    def web_url(self) -> str:
        """The project's page on the tracker's web site."""
        base = self.base_url.rstrip("/")
        if self.kind == TrackerKind.GITHUB:
            base = "https://github.com" if base == GITHUB_API else base.removesuffix("/api/v3")
        if self.kind == TrackerKind.GITLAB and self.is_group:
            return f"{base}/groups/{self.project}"
        return f"{base}/{self.project}"

    @property
    def is_failing(self) -> bool:
        """Whether its listings fail since the last good one (the last good data is kept)."""
        return self.failing_since is not None

    def is_paused(self, now: datetime | None = None) -> bool:
        """Whether a rate limit keeps the periodic sync away until `paused_until`."""
        return self.paused_until is not None and self.paused_until > (now or timezone.now())


class TrackedIssue(models.Model):
    """An issue as last synced from its tracker; kept (flagged removed) when it disappears."""

    source = models.ForeignKey(TrackerSource, on_delete=models.CASCADE, related_name="issues")
    project = models.CharField(max_length=300)
    number = models.PositiveIntegerField()
    remote_id = models.BigIntegerField(null=True, blank=True)
    title = models.TextField()
    body = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=IssueState.choices)
    labels = models.JSONField(default=list, blank=True)
    # "\nlabel\nlabel\n": a label filter that works on PostgreSQL and SQLite alike
    # (JSONField __contains does not exist on SQLite).
    label_index = models.TextField(blank=True, editable=False)
    milestone = models.CharField(max_length=300, blank=True)
    assignees = models.JSONField(default=list, blank=True)
    author = models.CharField(max_length=200, blank=True)
    author_migrated = models.BooleanField(
        default=False, help_text="Migrated from another forge: `author` is its author there."
    )
    web_url = models.URLField(max_length=1000)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    board_column = models.CharField(max_length=200, blank=True)
    confidential = models.BooleanField(default=False)
    moved_to = models.CharField(max_length=1000, blank=True, help_text="As the tracker gives it.")
    moved_to_issue = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    removed = models.BooleanField(default=False)
    removed_at = models.DateTimeField(null=True, blank=True)
    first_seen_at = models.DateTimeField(default=timezone.now)
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "project", "number"], name="tracked_issue_natural_key"
            ),
            _choices_check("state", IssueState, "tracked_issue_state_valid"),
        ]
        indexes = [
            models.Index(fields=["source", "removed", "state"]),
            models.Index(fields=["project", "number"]),
            models.Index(fields=["remote_id"]),
            models.Index(fields=["-updated_at"]),
            # Every blocker list's "fixed upstream" flag looks up closed issues by project and
            # number; the meeting agenda reads the issues closed in its week.
            models.Index(
                fields=["project", "number"],
                condition=models.Q(state="closed", removed=False, moved_to=""),
                name="tracked_issue_closed",
            ),
            models.Index(
                fields=["closed_at"],
                condition=models.Q(state="closed"),
                name="tracked_issue_closed_at",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"{self.project}#{self.number}"

    @property
    def is_open(self) -> bool:
        return self.state == IssueState.OPEN


class SyncRun(models.Model):
    """One sync of one source: what it changed, what it cost, and why it failed if it did."""

    source = models.ForeignKey(TrackerSource, on_delete=models.CASCADE, related_name="runs")
    kind = models.CharField(max_length=12, choices=RunKind.choices, default=RunKind.INCREMENTAL)
    trigger = models.CharField(max_length=40, blank=True, help_text="beat, webhook, command...")
    status = models.CharField(max_length=12, choices=RunStatus.choices, default=RunStatus.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration = models.DurationField(null=True, blank=True)
    cursor_before = models.DateTimeField(null=True, blank=True)
    cursor_after = models.DateTimeField(null=True, blank=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    requests = models.PositiveIntegerField(default=0)
    pages = models.PositiveIntegerField(default=0)
    pages_total = models.PositiveIntegerField(
        null=True, blank=True, help_text="The listing's length in pages, when the tracker says."
    )
    resumed_after_page = models.PositiveIntegerField(
        null=True, blank=True, help_text="Went on with a listing an earlier run left here."
    )
    waited = models.FloatField(default=0, help_text="Seconds waited out for rate limits.")
    rate_limit_remaining = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    skipped = models.JSONField(
        default=list, blank=True, help_text='[{"what": ..., "why": ...}], items not stored.'
    )
    changes = models.JSONField(
        default=list,
        blank=True,
        help_text="What the run changed (a full run: what it corrected); the first lines only.",
    )
    changes_total = models.PositiveIntegerField(default=0, help_text="Lines of change in all.")

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            _choices_check("kind", RunKind, "sync_run_kind_valid"),
            _choices_check("status", RunStatus, "sync_run_status_valid"),
        ]
        indexes = [
            models.Index(fields=["source", "-started_at"]),
            models.Index(fields=["-started_at", "-id"], name="sync_run_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.kind} {self.started_at:%Y-%m-%d %H:%M} {self.status}"

    @property
    def skipped_count(self) -> int:
        return sum(int(item.get("count", 1)) for item in self.skipped)

    @property
    def changes_not_shown(self) -> int:
        """Lines of change beyond those kept (the first MAX_CHANGES_KEPT)."""
        return max(0, self.changes_total - len(self.changes))

    @property
    def is_finished(self) -> bool:
        return self.status not in (RunStatus.QUEUED, RunStatus.RUNNING)

    @property
    def is_listing(self) -> bool:
        return self.kind != RunKind.ISSUE


class SyncRunDay(models.Model):
    """One source's runs of one kind on one day, summed: what is kept of them after retention."""

    source = models.ForeignKey(TrackerSource, on_delete=models.CASCADE, related_name="run_days")
    day = models.DateField()
    kind = models.CharField(max_length=12, choices=RunKind.choices)
    runs = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    requests = models.PositiveIntegerField(default=0)
    pages = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0, help_text="Wall time of the runs, summed.")

    class Meta:
        ordering = ["-day", "source", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["source", "day", "kind"], name="sync_run_day_once"),
            _choices_check("kind", RunKind, "sync_run_day_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.kind} {self.day}: {self.runs} runs"


class RateBudget(models.Model):
    """The request budget a tracker announced for one token, shared by every run using it.

    `key` is a digest of the tracker and the token, never the token; `resource` separates
    GitHub's budgets (core, search).
    """

    key = models.CharField(max_length=64)
    resource = models.CharField(max_length=40, default="core")
    remaining = models.IntegerField(null=True, blank=True)
    reset_at = models.DateTimeField(null=True, blank=True)
    blocked_until = models.DateTimeField(
        null=True, blank=True, help_text="The tracker refused a request: none before this time."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "resource"], name="rate_budget_once"),
        ]

    def __str__(self) -> str:
        return f"budget {self.key[:8]}/{self.resource}: {self.remaining} left"


class WebhookDelivery(models.Model):
    """A webhook delivery fedimage accepted; its id is refused if it comes again (replay)."""

    kind = models.CharField(max_length=10, choices=TrackerKind.choices)
    delivery_id = models.CharField(max_length=200)
    source = models.ForeignKey(
        TrackerSource, on_delete=models.SET_NULL, null=True, related_name="deliveries"
    )
    event = models.CharField(max_length=100, blank=True)
    issue_number = models.PositiveIntegerField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "delivery_id"], name="webhook_delivery_once"),
        ]
        indexes = [models.Index(fields=["received_at"])]

    def __str__(self) -> str:
        return f"{self.kind} delivery {self.delivery_id}"
