"""The bus outbox: messages for the Fedora message bus, written with the change they announce."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    # The broker or the schema refused it: sending it again cannot succeed.
    REFUSED = "refused", "Refused"


class BusMessage(models.Model):
    """A message to publish, recorded in the transaction of the change it announces.

    Its id is the message id on the bus, so a message sent twice (the broker confirmed it but
    the row could not be marked sent) is the same message to every consumer.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    schema = models.CharField(max_length=100, help_text="e.g. fedimage.blocker.new.v1")
    topic = models.CharField(max_length=200, help_text="Without the deployment's prefix.")
    body = models.JSONField()
    severity = models.PositiveSmallIntegerField(default=20)
    # Set for messages announced by a scan (a meeting's minutes): a rerun records nothing twice.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    status = models.CharField(
        max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=MessageStatus.values), name="bus_message_status_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(status="pending"),
                name="bus_message_pending",
            ),
            models.Index(fields=["status", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.id}"
