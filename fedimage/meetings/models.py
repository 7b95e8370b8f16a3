"""The weekly meeting: its attendees, decisions and action items, and the blocker review."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone

from fedimage.initiative.models import Blocker, ReviewState

# Far-off dates overflow the date arithmetic of the agenda, the calendar and the pages.
MEETING_YEARS = (2000, 2100)


def _choices_check(field: str, choices: type[models.Choices], name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=models.Q(**{f"{field}__in": choices.values}), name=name)


class Meeting(models.Model):
    """One weekly meeting of the initiative; its agenda is computed, never stored."""

    title = models.CharField(max_length=200, default="Fedora Image Mode weekly meeting")
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    location = models.CharField(
        max_length=200,
        blank=True,
        help_text="Matrix room or video link, e.g. #bootc:fedoraproject.org.",
    )
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="meetings_attended"
    )
    notes = models.TextField(blank=True, help_text="Markdown.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["starts_at"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%Y-%m-%d})"

    def get_absolute_url(self) -> str:
        return reverse("meetings:detail", kwargs={"pk": self.pk})

    def clean(self) -> None:
        first, last = MEETING_YEARS
        if self.starts_at is not None and not first <= self.starts_at.year <= last:
            raise ValidationError(
                {"starts_at": f"Schedule the meeting between the years {first} and {last}."}
            )

    @property
    def ends_at(self):
        return self.starts_at + timedelta(minutes=self.duration_minutes)


class Decision(models.Model):
    """Something a meeting agreed; a blocker review's outcome is recorded as one too."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    text = models.TextField()
    blocker = models.ForeignKey(
        Blocker, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return self.text[:80]


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    DROPPED = "dropped", "Dropped"


class ActionItem(models.Model):
    """A task a meeting gave someone; it is carried to every later meeting while open."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="action_items")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="action_items"
    )
    text = models.CharField(max_length=500)
    due_date = models.DateField(null=True, blank=True)
    due_announced_on = models.DateField(
        null=True,
        blank=True,
        editable=False,
        help_text="The due date for which it was last announced as due (announced once each).",
    )
    status = models.CharField(
        max_length=10, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [_choices_check("status", ActionStatus, "action_item_status_valid")]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"{self.owner} to {self.text}"

    @property
    def is_open(self) -> bool:
        return self.status == ActionStatus.OPEN

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_date is not None and self.due_date < timezone.localdate()


# Blockers in these review states come back to the next meeting.
UNDECIDED_STATES = (ReviewState.PROPOSED, ReviewState.NEEDS_INFO)


class BlockerReview(models.Model):
    """The meeting's verdict on a blocker; a blocker without one is still proposed."""

    blocker = models.OneToOneField(Blocker, on_delete=models.CASCADE, related_name="review")
    state = models.CharField(
        max_length=12, choices=ReviewState.choices, default=ReviewState.PROPOSED
    )
    justification = models.TextField(
        blank=True, help_text="Why it should block the initiative (Markdown)."
    )
    decision_reason = models.TextField(blank=True)
    decided_at_meeting = models.ForeignKey(
        Meeting, on_delete=models.SET_NULL, null=True, blank=True, related_name="reviews_decided"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    deferred_from = models.ForeignKey(
        Meeting,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reviews_deferred",
        help_text="The meeting that left it to the next one (a backlog's rest).",
    )

    class Meta:
        constraints = [_choices_check("state", ReviewState, "blocker_review_state_valid")]

    def __str__(self) -> str:
        return f"#{self.blocker_id}: {self.get_state_display()}"

    def get_absolute_url(self) -> str:
        return reverse("dashboard:blocker-detail", kwargs={"pk": self.blocker_id})

    @property
    def is_undecided(self) -> bool:
        return self.state in UNDECIDED_STATES


class VoteValue(models.IntegerChoices):
    PLUS = 1, "+1"
    ZERO = 0, "0"
    MINUS = -1, "-1"


class Vote(models.Model):
    """One person's named vote on a blocker under review; changing it replaces it."""

    review = models.ForeignKey(BlockerReview, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocker_votes"
    )
    value = models.SmallIntegerField(choices=VoteValue.choices)
    comment = models.CharField(max_length=500, blank=True)
    cast_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["cast_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "voter"], name="vote_one_per_person"),
            _choices_check("value", VoteValue, "vote_value_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.voter} {self.get_value_display()} on #{self.review.blocker_id}"


class LogKind(models.TextChoices):
    VOTE = "vote", "Vote"
    REVIEW = "review", "Review decision"
    DECISION = "decision", "Decision"
    ACTION_CREATED = "action_created", "Action item created"
    ACTION_REASSIGNED = "action_reassigned", "Action item reassigned"
    ACTION_STATUS = "action_status", "Action item closed or reopened"


class LogEntry(models.Model):
    """One thing the meeting decided or someone did for it, said in words, as it happened.

    Written by the services beside each change (votes are replaced and decisions are text, so
    their history would otherwise be lost); read by /changes/, a blocker's history and the next
    meeting's agenda.
    """

    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=LogKind.choices)
    # "<actor> <words> <the blocker or meeting>: <detail>", as the change feed shows it.
    words = models.CharField(max_length=200)
    detail = models.CharField(max_length=2600, blank=True)
    meeting = models.ForeignKey(
        Meeting, on_delete=models.SET_NULL, null=True, blank=True, related_name="log"
    )
    blocker = models.ForeignKey(
        Blocker, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action_item = models.ForeignKey(
        ActionItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="log"
    )

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [_choices_check("kind", LogKind, "meeting_log_kind_valid")]
        indexes = [models.Index(fields=["at"]), models.Index(fields=["blocker", "at"])]

    def __str__(self) -> str:
        return self.words[:80]
