"""CI test runs read from the initiative's report tracker, and what they say about each tag."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from fedimage.health.models import TagState, WatchedImage
from fedimage.initiative.models import Blocker
from trackers.models import TrackedIssue


class CiRun(models.Model):
    """One issue of the report project, read as a test run (or, unparsed, with the reason)."""

    issue = models.OneToOneField(TrackedIssue, on_delete=models.CASCADE, related_name="ci_run")
    issue_updated_at = models.DateTimeField(help_text="The issue version this row was read from.")
    title = models.TextField()
    web_url = models.URLField(max_length=1000)
    run_at = models.DateTimeField(help_text="When the run was reported (the issue's creation).")
    parsed = models.BooleanField(default=False)
    problem = models.CharField(max_length=300, blank=True, help_text="Why it is not a run.")
    registry = models.CharField(max_length=200, blank=True)
    repository = models.CharField(max_length=300, blank=True)
    tag = models.CharField(max_length=128, blank=True, help_text="As the run names it.")
    digest = models.CharField(max_length=200, blank=True)
    version = models.CharField(max_length=100, blank=True)
    results = models.JSONField(default=dict, help_text='{"amd64": "passed", ...}')
    links = models.JSONField(default=dict, help_text="Per-architecture log links, if given.")
    image = models.ForeignKey(
        WatchedImage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    tag_state = models.ForeignKey(
        TagState,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The watched tag whose digest (now or earlier) the run tested.",
    )
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-run_at", "-id"]
        indexes = [
            models.Index(fields=["digest", "-run_at"]),
            models.Index(fields=["image", "-run_at"]),
            models.Index(fields=["parsed", "-run_at"]),
        ]

    def __str__(self) -> str:
        return self.title[:80]

    @property
    def reference(self) -> str:
        return f"{self.registry}/{self.repository}" if self.registry else ""

    @property
    def passed_arches(self) -> list[str]:
        return sorted(a for a, r in self.results.items() if r == "passed")

    @property
    def failed_arches(self) -> list[str]:
        return sorted(a for a, r in self.results.items() if r == "failed")


class TagIncident(models.Model):
    """A failed run on a tag's current digest, and the blocker it opened (if configured)."""

    tag_state = models.OneToOneField(TagState, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=200)
    opened_at = models.DateTimeField(default=timezone.now)
    blocker = models.ForeignKey(
        Blocker, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"tests failed on {self.tag_state} ({self.digest[:19]})"
