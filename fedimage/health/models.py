"""Image build health: watched images, the state of each tag, and its history."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

# Defined in states; importable from here too, where other apps have always found them.
from fedimage.health.states import INCIDENT_STATES as INCIDENT_STATES
from fedimage.health.states import STATE_RANK as STATE_RANK
from fedimage.health.states import HealthState
from fedimage.initiative.models import Blocker, Milestone, Subproject


class BuildTimeSource(models.TextChoices):
    """Where a build time was read: the config, else a label (reproducible builds zero it)."""

    CONFIG = "config", "config.created"
    LABEL = "label", "org.opencontainers.image.created label"
    VERSION = "version", "date in the version label"
    UNKNOWN = "", "no build time (first seen)"


class BaseEvidence(models.TextChoices):
    """What the registry proves about the base image a subproject image is built on."""

    NOT_APPLICABLE = "n/a", "No base image declared"
    UNKNOWN = "unknown", "Not checked yet"
    LAYERS = "layers", "Layers begin with the base image's"
    ANNOTATION = "annotation", "Annotations name the base image"
    NAMED_ONLY = "named", "Annotations name the base image, digest not seen"
    NONE = "none", "No evidence of the base image"


def _choices_check(field: str, choices: type[models.Choices], name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=models.Q(**{f"{field}__in": choices.values}), name=name)


class WatchedImage(models.Model):
    """An image repository the initiative file asks fedimage to poll, with what it should be."""

    key = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    registry = models.CharField(max_length=200, help_text="Host[:port], e.g. quay.io.")
    repository = models.CharField(max_length=300, help_text="e.g. fedora/fedora-bootc.")
    tags = models.JSONField(default=list, help_text="The tags to poll.")
    expected_arches = models.JSONField(default=list, help_text="OCI names: amd64, arm64, ...")
    max_age_hours = models.PositiveIntegerField(
        null=True, blank=True, help_text="Freshness objective: the oldest a build may be."
    )
    signature_expected = models.BooleanField(default=False)
    signature_kind = models.CharField(
        max_length=10,
        choices=[("cosign", "cosign"), ("gpg", "GPG simple signing")],
        default="cosign",
        help_text="cosign: a signature tag or referrer; gpg: containers' simple signing.",
    )
    signature_lookaside = models.URLField(
        max_length=500,
        blank=True,
        help_text="gpg: the lookaside serving <repository>@sha256=<hex>/signature-1.",
    )
    insecure = models.BooleanField(default=False, help_text="Plain HTTP (loopback registries).")
    grace_hours = models.PositiveIntegerField(
        default=24, help_text="How long a tag may stay unhealthy before a blocker is opened."
    )
    base = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="derived_images",
        help_text="The watched image this one should be built on.",
    )
    subproject = models.ForeignKey(
        Subproject, on_delete=models.SET_NULL, null=True, blank=True, related_name="images"
    )
    milestone = models.ForeignKey(
        Milestone, on_delete=models.SET_NULL, null=True, blank=True, related_name="images"
    )
    notes = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True, help_text="False once the file no longer lists it.")

    class Meta:
        ordering = ["order", "key"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("health:image", kwargs={"key": self.key})

    @property
    def reference(self) -> str:
        return f"{self.registry}/{self.repository}"

    @property
    def max_age(self) -> timedelta | None:
        return timedelta(hours=self.max_age_hours) if self.max_age_hours else None

    @property
    def grace(self) -> timedelta:
        return timedelta(hours=self.grace_hours)


class TagState(models.Model):
    """Where one tag of a watched image stands now, as of its last poll."""

    image = models.ForeignKey(WatchedImage, on_delete=models.CASCADE, related_name="tag_states")
    tag = models.CharField(max_length=128)
    active = models.BooleanField(default=True, help_text="False once the file drops the tag.")
    order = models.PositiveSmallIntegerField(default=0)
    digest = models.CharField(max_length=200, blank=True, help_text="Last digest fully read.")
    media_type = models.CharField(max_length=100, blank=True)
    digest_seen_at = models.DateTimeField(null=True, blank=True, help_text="When first seen.")
    built_at = models.DateTimeField(null=True, blank=True, help_text="Newest build time.")
    built_source = models.CharField(
        max_length=10, choices=BuildTimeSource.choices, blank=True, help_text="Of `built_at`."
    )
    # Per architecture of the digest: {"amd64": {"at": ISO 8601, "source": BuildTimeSource}}.
    arch_builds = models.JSONField(default=dict)
    version = models.CharField(max_length=100, blank=True)
    arches = models.JSONField(default=list)
    signed = models.BooleanField(null=True, blank=True)
    state = models.CharField(
        max_length=20, choices=HealthState.choices, default=HealthState.PENDING
    )
    reason = models.TextField(blank=True)
    state_since = models.DateTimeField(default=timezone.now)
    checked_at = models.DateTimeField(null=True, blank=True)
    unhealthy_since = models.DateTimeField(
        null=True, blank=True, help_text="Start of the current incident (cleared when healthy)."
    )
    blocker = models.ForeignKey(
        Blocker, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    base_evidence = models.CharField(
        max_length=20, choices=BaseEvidence.choices, default=BaseEvidence.NOT_APPLICABLE
    )
    base_words = models.CharField(max_length=300, blank=True)
    base_record = models.ForeignKey(
        "DigestRecord", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    builds_behind = models.PositiveIntegerField(null=True, blank=True)
    base_checked_at = models.DateTimeField(null=True, blank=True, help_text="Evidence computed.")
    # Summaries for the pages, kept by each poll so the grid reads no history: the last
    # RECENT_LENGTH checks as [ISO 8601, state], oldest first, and the typical time between builds.
    recent = models.JSONField(default=list)
    cadence = models.DurationField(null=True, blank=True)
    # What CI said about the tag's current digest, written by the app that reads test runs
    # (fedimage.ci) through services.tag_tests_record: passed, failed, or "" (not tested).
    test_verdict = models.CharField(max_length=10, blank=True)
    test_words = models.CharField(max_length=300, blank=True)
    test_url = models.URLField(max_length=1000, blank=True)
    test_digest = models.CharField(max_length=200, blank=True)
    test_run_at = models.DateTimeField(null=True, blank=True)

    RECENT_LENGTH = 24

    class Meta:
        ordering = ["image__order", "image__key", "order", "tag"]
        constraints = [
            models.UniqueConstraint(fields=["image", "tag"], name="health_tag_unique"),
            _choices_check("state", HealthState, "health_tag_state_valid"),
            _choices_check("base_evidence", BaseEvidence, "health_tag_base_evidence_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.image.reference}:{self.tag}"

    def get_absolute_url(self) -> str:
        return f"{self.image.get_absolute_url()}#tag-{self.tag}"

    @property
    def is_healthy(self) -> bool:
        return self.state == HealthState.HEALTHY

    @property
    def build_age(self) -> timedelta | None:
        return timezone.now() - self.built_at if self.built_at else None

    @property
    def tests_failed(self) -> bool:
        """CI failed on the digest the tag points at now: a health reason of its own."""
        return self.test_verdict == "failed" and self.test_digest == self.digest


class StateChange(models.Model):
    """A tag moved from one health state to another (or its reason changed in kind)."""

    tag = models.ForeignKey(TagState, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField(default=timezone.now)
    old_state = models.CharField(max_length=20, choices=HealthState.choices)
    new_state = models.CharField(max_length=20, choices=HealthState.choices)
    reason = models.TextField(blank=True)
    digest = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["tag", "-at"])]

    def __str__(self) -> str:
        return f"{self.tag}: {self.old_state} → {self.new_state}"


class DigestRecord(models.Model):
    """A digest a tag pointed at, recorded when first seen: the tag's build cadence."""

    tag = models.ForeignKey(TagState, on_delete=models.CASCADE, related_name="digests")
    digest = models.CharField(max_length=200)
    media_type = models.CharField(max_length=100)
    first_seen = models.DateTimeField(default=timezone.now)
    built_at = models.DateTimeField(null=True, blank=True)
    built_source = models.CharField(max_length=10, choices=BuildTimeSource.choices, blank=True)
    version = models.CharField(max_length=100, blank=True)
    arches = models.JSONField(default=list)
    # Per architecture: manifest and config digests, created, layers (for base-image evidence).
    details = models.JSONField(default=dict)
    signed = models.BooleanField(null=True, blank=True)
    thinned = models.BooleanField(
        default=False, help_text="Layer lists dropped from `details` (see `digests_thin`)."
    )

    class Meta:
        ordering = ["-first_seen", "-id"]
        indexes = [models.Index(fields=["tag", "-first_seen"])]

    def __str__(self) -> str:
        return f"{self.tag}@{self.digest[:19]}"


class Sample(models.Model):
    """One poll's verdict on a tag; raw for a while, then thinned (see `samples_thin`)."""

    tag = models.ForeignKey(TagState, on_delete=models.CASCADE, related_name="samples")
    at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=20, choices=HealthState.choices)
    digest = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["tag", "-at"]), models.Index(fields=["at"])]

    def __str__(self) -> str:
        return f"{self.tag} {self.at:%Y-%m-%d %H:%M} {self.state}"


class DigestFacts(models.Model):
    """What one manifest digest of a repository holds, read once and then known by its digest.

    A tag's top digest (an index or a single manifest) and each platform manifest of an index
    get a row; a digest never changes content, so it is never read again. Only its signature is
    asked again, and only while one is expected and missing (`signature_checked_at`).
    """

    registry = models.CharField(max_length=200)
    repository = models.CharField(max_length=300)
    digest = models.CharField(max_length=200)
    media_type = models.CharField(max_length=100)
    # Index: its runnable entries [{"digest", "architecture", "os", "variant"}]; else [].
    platforms = models.JSONField(default=list)
    # Image manifest: its config and layers, base annotations, and what the config says.
    config_digest = models.CharField(max_length=200, blank=True)
    layers = models.JSONField(default=list)
    base_name = models.CharField(max_length=500, blank=True)
    base_digest = models.CharField(max_length=200, blank=True)
    architecture = models.CharField(max_length=50, blank=True)
    os = models.CharField(max_length=50, blank=True)
    variant = models.CharField(max_length=50, blank=True)
    created = models.DateTimeField(null=True, blank=True, help_text="config.created as read.")
    created_text = models.CharField(max_length=40, blank=True, help_text="config.created raw.")
    label_created = models.CharField(max_length=60, blank=True)
    version = models.CharField(max_length=100, blank=True)
    index_annotations = models.JSONField(default=dict, help_text="Base annotations of an index.")
    signed = models.BooleanField(null=True, blank=True)
    signature_checked_at = models.DateTimeField(null=True, blank=True)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["registry", "repository", "digest"], name="health_digest_facts_unique"
            )
        ]
        indexes = [
            models.Index(fields=["registry", "repository", "config_digest"]),
            models.Index(fields=["last_seen"]),
        ]

    def __str__(self) -> str:
        return f"{self.registry}/{self.repository}@{self.digest[:19]}"


class PollStatus(models.TextChoices):
    """Where a poll run stands."""

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    WAITING = "waiting", "Waiting for the registry"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


ACTIVE_POLL_STATUSES = frozenset({PollStatus.QUEUED, PollStatus.RUNNING, PollStatus.WAITING})
# A queued run not taken this long after it was asked for (or a waiting one this long past its
# retry) lost its message or its worker. A running run keeps a heartbeat every third of the lock
# TTL, so it is dead as soon as that heartbeat is three TTLs late: seconds, not minutes.
QUEUED_STRANDED_AFTER = timedelta(minutes=11)


def running_heartbeat_grace() -> timedelta:
    return timedelta(seconds=3 * float(getattr(settings, "LOCK_TTL_SECONDS", 30.0)))


def alive_runs(now: datetime) -> models.Q:
    """The runs still in progress at `now` (a stranded one is not)."""
    return (
        models.Q(status=PollStatus.QUEUED, updated_at__gte=now - QUEUED_STRANDED_AFTER)
        | models.Q(status=PollStatus.WAITING, retry_at__gte=now - QUEUED_STRANDED_AFTER)
        | models.Q(status=PollStatus.RUNNING, updated_at__gte=now - running_heartbeat_grace())
    )


class PollTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Schedule"
    MANUAL = "manual", "Poll now"


class PollRun(models.Model):
    """One poll of a watched image: asked for (by the schedule or a lead), run, and its outcome."""

    image = models.ForeignKey(WatchedImage, on_delete=models.CASCADE, related_name="poll_runs")
    batch = models.UUIDField(help_text="Runs asked for together share it (Poll now on /health/).")
    trigger = models.CharField(max_length=10, choices=PollTrigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=PollStatus.choices, default=PollStatus.QUEUED)
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    retry_at = models.DateTimeField(null=True, blank=True, help_text="When a waiting run resumes.")
    tags_total = models.PositiveIntegerField(default=0)
    tags_checked = models.PositiveIntegerField(default=0)
    tags_changed = models.PositiveIntegerField(default=0)
    new_digests = models.PositiveIntegerField(default=0)
    requests = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    follows = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="followers",
        help_text="The run already in progress when this one was asked for; it shows its progress.",
    )

    class Meta:
        ordering = ["-queued_at", "-id"]
        indexes = [
            models.Index(fields=["batch"]),
            models.Index(fields=["image", "-queued_at"]),
            models.Index(fields=["status", "updated_at"]),
        ]
        constraints = [_choices_check("status", PollStatus, "health_poll_run_status_valid")]

    def __str__(self) -> str:
        return f"poll of {self.image} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_POLL_STATUSES

    def is_alive(self, now: datetime | None = None) -> bool:
        """Whether the run is still in progress (see `alive_runs`)."""
        now = now or timezone.now()
        if self.status == PollStatus.QUEUED:
            return now - self.updated_at <= QUEUED_STRANDED_AFTER
        if self.status == PollStatus.WAITING:
            return self.retry_at is None or now - self.retry_at <= QUEUED_STRANDED_AFTER
        if self.status == PollStatus.RUNNING:
            return now - self.updated_at <= running_heartbeat_grace()
        return False
