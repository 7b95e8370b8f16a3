"""The initiative's domain: releases, milestones, subprojects and their migration, blockers."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from fedimage.core.references import parse_issue_reference
from fedimage.initiative.validators import no_control_characters, single_line


class MilestoneStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    BLOCKED = "blocked", "Blocked"
    DONE = "done", "Done"
    SLIPPED = "slipped", "Slipped"


class Stage(models.IntegerChoices):
    """The migration stages the plan names, in order."""

    OWN_BASE = 0, "Building its own base"
    DEVELOPMENT = 1, "Consuming the base image in development"
    BETA = 2, "Beta/nightly artifacts on the base image"
    PRODUCTION = 3, "Production artifacts on the base image"


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    MAJOR = "major", "Major"
    MINOR = "minor", "Minor"


class BlockerStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    FIXED_UPSTREAM = "fixed_upstream", "Fixed upstream"
    RESOLVED = "resolved", "Resolved"
    WONT_FIX = "wont_fix", "Won't fix"


class Category(models.TextChoices):
    BOOTC = "bootc", "bootc"
    KONFLUX = "konflux", "Konflux"
    INFRASTRUCTURE = "infrastructure", "Infrastructure"
    RELENG = "releng", "Release engineering"
    DOCUMENTATION = "documentation", "Documentation"
    OTHER = "other", "Other"


class ReviewState(models.TextChoices):
    """The weekly meeting's verdict on a blocker (recorded by the meetings app's review)."""

    PROPOSED = "proposed", "Not yet reviewed"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    NEEDS_INFO = "needs_info", "Needs more information"


# A blocker in one of these states no longer stands in anybody's way.
CLOSED_BLOCKER_STATUSES = (BlockerStatus.RESOLVED, BlockerStatus.WONT_FIX)
# A blocker in one of these states whose upstream issue closed waits for its owner to confirm.
AWAITING_FIX = (BlockerStatus.OPEN, BlockerStatus.IN_PROGRESS)
SEVERITY_RANK: dict[str, int] = {Severity.CRITICAL: 0, Severity.MAJOR: 1, Severity.MINOR: 2}


def _choices_check(field: str, choices: type[models.Choices], name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=models.Q(**{f"{field}__in": choices.values}), name=name)


class Release(models.Model):
    """A Fedora release the initiative plans against: Fedora 44, Fedora 45, post-F45."""

    key = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    order = models.PositiveSmallIntegerField(default=0)
    beta_target = models.DateField(null=True, blank=True)
    final_target = models.DateField(null=True, blank=True)
    released_on = models.DateField(null=True, blank=True)
    end_of_life = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)

    # Not columns: attached by selectors.release_list.
    milestone_rows: list[Milestone]
    status_counts: list[tuple[str, str, int]]

    class Meta:
        ordering = ["order", "key"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("dashboard:release-detail", kwargs={"key": self.key})


class Milestone(models.Model):
    """A milestone of the initiative's plan, targeted at a release."""

    key = models.SlugField(max_length=80, unique=True)
    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="milestones")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.CharField(
        max_length=200, blank=True, help_text="Who answers for it (FAS names)."
    )
    target_date = models.DateField(null=True, blank=True)
    stretch = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(
        max_length=20, choices=MilestoneStatus.choices, default=MilestoneStatus.NOT_STARTED
    )
    status_note = models.TextField(blank=True)
    status_confirmed_at = models.DateTimeField(null=True, blank=True)
    migration_stage = models.PositiveSmallIntegerField(
        choices=Stage.choices,
        null=True,
        blank=True,
        help_text="When set, progress counts the subprojects that reached this stage.",
    )
    tracker_labels = models.JSONField(
        default=list, blank=True, help_text="Tracker labels whose issues count in its progress."
    )
    tracker_milestones = models.JSONField(
        default=list,
        blank=True,
        help_text="Tracker (GitLab) milestones whose issues count in its progress.",
    )
    # What the initiative file last said of the fields leads may also edit on the milestone's
    # page (target_date, owner): a reload applies the file's value only when it changed there.
    file_values = models.JSONField(default=dict, blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["order", "file_values"])

    # Not columns: attached by selectors.attach_progress.
    progress: int | None
    progress_label: str
    tracker_issues_total: int
    tracker_issues_closed: int

    class Meta:
        ordering = ["release__order", "order", "target_date", "key"]
        constraints = [_choices_check("status", MilestoneStatus, "milestone_status_valid")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("dashboard:milestone-detail", kwargs={"key": self.key})

    @property
    def status_is_stale(self) -> bool:
        """Whether nobody has confirmed the status recently (a done milestone never is)."""
        if self.status == MilestoneStatus.DONE:
            return False
        if self.status_confirmed_at is None:
            return True
        limit = timedelta(days=settings.STATUS_STALE_AFTER_DAYS)
        return timezone.now() - self.status_confirmed_at > limit


class SubprojectKind(models.TextChoices):
    BASE = "base", "Base images"
    EDITION = "edition", "Edition"
    DESKTOP = "desktop", "Atomic Desktop"
    PARTNER = "partner", "Downstream partner"


class Subproject(models.Model):
    """A Fedora subproject whose artifacts should be built on the shared base images."""

    Kind = SubprojectKind

    key = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.EDITION)
    description = models.TextField(blank=True)
    owners = models.CharField(max_length=300, blank=True, help_text="FAS names, comma separated.")
    matrix_room = models.CharField(max_length=200, blank=True)
    homepage = models.URLField(max_length=500, blank=True)
    tracker_url = models.URLField(max_length=500, blank=True)
    tracker_labels = models.JSONField(
        default=list, blank=True, help_text="Tracker labels whose issues count as its work."
    )
    tracker_milestones = models.JSONField(
        default=list, blank=True, help_text="Tracker (GitLab) milestones whose issues count."
    )
    order = models.PositiveSmallIntegerField(default=0)

    # Not columns: attached by selectors.attach_linked_issues.
    tracker_issues_total: int
    tracker_issues_closed: int

    class Meta:
        ordering = ["order", "name"]
        constraints = [_choices_check("kind", SubprojectKind, "subproject_kind_valid")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("dashboard:subproject-detail", kwargs={"key": self.key})

    @property
    def owner_list(self) -> list[str]:
        return [name.strip() for name in self.owners.split(",") if name.strip()]

    @property
    def matrix_url(self) -> str:
        return f"https://matrix.to/#/{self.matrix_room}" if self.matrix_room else ""


class Migration(models.Model):
    """Where a subproject stands on its move onto the shared base images, against its targets."""

    subproject = models.OneToOneField(
        Subproject, on_delete=models.CASCADE, related_name="migration"
    )
    stage = models.PositiveSmallIntegerField(choices=Stage.choices, default=Stage.OWN_BASE)
    beta_target = models.ForeignKey(
        Release, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    production_target = models.ForeignKey(
        Release, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)
    evidence_url = models.URLField(max_length=500, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["subproject__order", "subproject__name"]
        constraints = [_choices_check("stage", Stage, "migration_stage_valid")]

    def __str__(self) -> str:
        return f"{self.subproject}: {self.get_stage_display()}"

    def get_absolute_url(self) -> str:
        return self.subproject.get_absolute_url()

    def target_for(self, stage: int) -> Release | None:
        """The release by which the plan wants this stage reached, if it sets one."""
        if stage == Stage.BETA:
            return self.beta_target
        if stage == Stage.PRODUCTION:
            return self.production_target
        return None


def tracking_key(url: str) -> tuple[str, int | None]:
    """(project path, issue number) of a tracking issue URL or reference; ("", None) if none."""
    parsed = parse_issue_reference(url) if url else None
    if parsed is None or len(parsed[1]) > 300 or parsed[2] > 2**31 - 1:
        return "", None
    return parsed[1], parsed[2]


BLOCKER_DESCRIPTION_MAX_LENGTH = 20_000


class Blocker(models.Model):
    """Something that stands in the initiative's way, filed by a stakeholder."""

    title = models.CharField(max_length=200, validators=[single_line])
    description = models.TextField(
        blank=True,
        help_text="Markdown.",
        max_length=BLOCKER_DESCRIPTION_MAX_LENGTH,  # the form's limit, the same as the API's
        validators=[no_control_characters, MaxLengthValidator(BLOCKER_DESCRIPTION_MAX_LENGTH)],
    )
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MAJOR)
    status = models.CharField(
        max_length=20, choices=BlockerStatus.choices, default=BlockerStatus.OPEN
    )
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.OTHER)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reported_blockers"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_blockers",
    )
    milestones = models.ManyToManyField(Milestone, blank=True, related_name="blockers")
    subprojects = models.ManyToManyField(Subproject, blank=True, related_name="blockers")
    tracking_url = models.URLField(max_length=500, blank=True)
    # Derived from tracking_url on save, so lists can match the tracked issue in SQL.
    tracking_project = models.CharField(max_length=300, blank=True, editable=False)
    tracking_number = models.PositiveIntegerField(null=True, blank=True, editable=False)
    private = models.BooleanField(
        default=False, help_text="Seen only by signed-in members (embargoed security issues)."
    )
    # The meeting's verdict, kept here so every list and count can read it: a rejected blocker
    # stands in nobody's way. Written by blocker_set_review_state alone (the meeting records
    # the decision, with its votes and reason, in its own history).
    review_state = models.CharField(
        max_length=12, choices=ReviewState.choices, default=ReviewState.PROPOSED, editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The filing form's one-time token: a second submission of the same form (double click,
    # back and resubmit, a duplicated tab) finds this blocker instead of filing another.
    submission = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    history = HistoricalRecords(
        m2m_fields=[milestones, subprojects],
        excluded_fields=[
            "updated_at",
            "tracking_project",
            "tracking_number",
            "review_state",
            "submission",
        ],
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "severity"])]
        constraints = [
            _choices_check("severity", Severity, "blocker_severity_valid"),
            _choices_check("status", BlockerStatus, "blocker_status_valid"),
            _choices_check("category", Category, "blocker_category_valid"),
            _choices_check("review_state", ReviewState, "blocker_review_state_known"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    def save(self, *args, **kwargs) -> None:
        self.tracking_project, self.tracking_number = tracking_key(self.tracking_url)
        # Whoever closes or reopens it (a page, the API, the admin), closed_at follows.
        if self.status in CLOSED_BLOCKER_STATUSES:
            self.closed_at = self.closed_at or timezone.now()
        else:
            self.closed_at = None
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            extra = set()
            if "tracking_url" in update_fields:
                extra |= {"tracking_project", "tracking_number"}
            if "status" in update_fields:
                extra.add("closed_at")
            kwargs["update_fields"] = {*update_fields, *extra}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("dashboard:blocker-detail", kwargs={"pk": self.pk})

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_BLOCKER_STATUSES

    @property
    def is_rejected(self) -> bool:
        """The meeting decided it is no blocker: it leaves the open counts and progress."""
        return self.review_state == ReviewState.REJECTED

    @property
    def is_accepted(self) -> bool:
        return self.review_state == ReviewState.ACCEPTED


class Initiative(models.Model):
    """The initiative itself: one row, written from the initiative file."""

    name = models.CharField(max_length=200)
    lead = models.CharField(max_length=200, blank=True)
    sponsor = models.CharField(max_length=200, blank=True)
    matrix_room = models.CharField(max_length=200, blank=True)
    wiki_url = models.URLField(max_length=500, blank=True)
    summary = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.name
