"""Notifications: who subscribed to which events on which channel, and the delivery outbox."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class EventKind(models.TextChoices):
    BLOCKER_CRITICAL = "blocker_critical", "A critical blocker filed"
    MILESTONE_AT_RISK = "milestone_at_risk", "A milestone at risk or slipped"
    IMAGE_UNHEALTHY = "image_unhealthy", "An image turning unhealthy"
    IMAGE_RECOVERED = "image_recovered", "An image recovering"
    ACTION_ITEM_DUE = "action_item_due", "An action item due"
    ACTION_ITEM_ASSIGNED = "action_item_assigned", "An action item given to someone"
    MILESTONE_PLAN_CHANGED = "milestone_plan_changed", "A milestone's date or owner changed"


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    MATRIX = "matrix", "Matrix room"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


def _choices_check(field: str, choices: type[models.Choices], name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=models.Q(**{f"{field}__in": choices.values}), name=name)


class Subscription(models.Model):
    """A person's e-mail, or a Matrix room, subscribed to one kind of event."""

    kind = models.CharField(max_length=30, choices=EventKind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notification_subscriptions",
        help_text="E-mail: the person notified, at their account's address.",
    )
    room = models.CharField(
        max_length=255,
        blank=True,
        help_text="Matrix: a room ID (!abc:example.org) or alias (#bootc:fedoraproject.org).",
    )
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["channel", "room", "user_id", "kind"]
        constraints = [
            _choices_check("kind", EventKind, "notification_subscription_kind_valid"),
            _choices_check("channel", Channel, "notification_subscription_channel_valid"),
            models.CheckConstraint(
                condition=(
                    models.Q(channel=Channel.EMAIL, user__isnull=False, room="")
                    | models.Q(channel=Channel.MATRIX, user__isnull=True) & ~models.Q(room="")
                ),
                name="notification_subscription_target",
            ),
            models.UniqueConstraint(
                fields=["kind", "user"],
                condition=models.Q(channel=Channel.EMAIL),
                name="notification_subscription_email_unique",
            ),
            models.UniqueConstraint(
                fields=["kind", "room"],
                condition=models.Q(channel=Channel.MATRIX),
                name="notification_subscription_room_unique",
            ),
        ]

    def __str__(self) -> str:
        target = self.room if self.channel == Channel.MATRIX else str(self.user)
        return f"{self.get_kind_display()} → {target}"


class Event(models.Model):
    """Something that happened which people may subscribe to; recorded with the change itself."""

    kind = models.CharField(max_length=30, choices=EventKind.choices)
    subject = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True, help_text="Path of the page concerned.")
    private = models.BooleanField(
        default=False, help_text="About a private blocker: never sent to a Matrix room."
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="When set (an action item's owner), e-mail goes to this person only.",
    )
    dedupe_key = models.CharField(
        max_length=200,
        null=True,
        blank=True,
        unique=True,
        help_text="Set on events found by a periodic scan, so a rescan records nothing twice.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [_choices_check("kind", EventKind, "notification_event_kind_valid")]

    def __str__(self) -> str:
        return self.subject


class Notification(models.Model):
    """One event to deliver to one subscription: the outbox row a Celery task works off."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="notifications")
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="notifications"
    )
    status = models.CharField(
        max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_until = models.DateTimeField(
        null=True, blank=True, help_text="A worker is delivering it until then."
    )
    last_error = models.TextField(blank=True)
    remote_id = models.CharField(max_length=255, blank=True, help_text="Matrix event ID.")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "subscription"], name="notification_once_per_subscription"
            ),
            _choices_check("status", NotificationStatus, "notification_status_valid"),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription}"

    @property
    def txn_id(self) -> str:
        """The Matrix transaction ID: fixed per notification, so a retry is not a new message."""
        return f"fedimage-notification-{self.pk}"
