"""Models of the shared infrastructure: the task outbox."""

from __future__ import annotations

from django.db import models


class OutboxMessage(models.Model):
    """A Celery task to send, written in the transaction of the change that asks for it."""

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.task} #{self.pk}"


class TaskCounter(models.Model):
    """Runs, failures and retries of one Celery task, counted by every worker (for /metrics)."""

    task = models.CharField(max_length=200, unique=True)
    runs = models.PositiveBigIntegerField(default=0)
    failures = models.PositiveBigIntegerField(default=0)
    retries = models.PositiveBigIntegerField(default=0)
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["task"]

    def __str__(self) -> str:
        return self.task


class SampleRecord(models.Model):
    """A row `make demo` added: pages say "sample data" while any exist."""

    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id"], name="core_sample_once")
        ]

    def __str__(self) -> str:
        return f"sample {self.content_type_id}:{self.object_id}"
