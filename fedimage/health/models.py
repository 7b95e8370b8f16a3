"""Image build health: watched images, the state of each tag, and its history."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.urls import reverse
from django.utils import timezone

from fedimage.initiative.models import Blocker, Milestone, Subproject


class HealthState(models.TextChoices):
    """What a tag's last poll found, from best to worst."""

    PENDING = "pending", "Not checked yet"
    HEALTHY = "healthy", "Healthy"
    STALE = "stale", "Stale"
    DEGRADED = "degraded", "Degraded"
    MISSING = "missing", "Missing"
    UNREACHABLE = "unreachable", "Registry unreachable"
    GARBAGE = "garbage", "Registry answered garbage"


# States that say something is wrong with the image itself; past the grace period they open a
# blocker. Unreachable and garbage are the registry's failures: they neither open nor close one.
INCIDENT_STATES = frozenset({HealthState.STALE, HealthState.DEGRADED, HealthState.MISSING})
# How bad each state is, for thinning samples (keep the worst of a bucket) and for summaries.
# Keyed by str so raw state values read from the database look up too (HealthState is a str).
STATE_RANK: dict[str, int] = {
    HealthState.PENDING: 0,
    HealthState.HEALTHY: 1,
    HealthState.UNREACHABLE: 2,
    HealthState.STALE: 3,
    HealthState.DEGRADED: 4,
    HealthState.GARBAGE: 5,
    HealthState.MISSING: 6,
}


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
        return reverse("health-image", kwargs={"key": self.key})

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
    built_at = models.DateTimeField(null=True, blank=True, help_text="Newest config `created`.")
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
