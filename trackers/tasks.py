"""Celery tasks of the trackers app: thin wrappers around the sync services.

The retry policy lives in the decorators: a rate-limited or unreachable tracker is retried
later (a rate limit after the wait the tracker asked for), anything else fails the run, which
the service has already recorded in the ledger. One task per source, so a failing source never
holds up the others.
"""

from __future__ import annotations

from celery import shared_task
from celery.contrib.django.task import DjangoTask

from trackers import services
from trackers.clients.base import RateLimited, TrackerUnavailable
from trackers.models import TrackerSource

RETRYABLE = (RateLimited, TrackerUnavailable, services.SyncInProgress)


class TrackerTask(DjangoTask):
    """Retry a RateLimited after the wait the tracker asked for, not the generic backoff."""

    abstract = True

    def retry(
        self,
        args=None,
        kwargs=None,
        exc=None,
        throw=True,
        eta=None,
        countdown=None,
        max_retries=None,
        **options,
    ):
        if isinstance(exc, RateLimited):
            wait = min(exc.retry_after_seconds, services.MAX_PAUSE.total_seconds())
            countdown = max(countdown or 0, wait)
        return super().retry(
            args=args,
            kwargs=kwargs,
            exc=exc,
            throw=throw,
            eta=eta,
            countdown=countdown,
            max_retries=max_retries,
            **options,
        )


_POLICY = {
    "base": TrackerTask,
    "acks_late": True,
    "autoretry_for": RETRYABLE,
    "retry_backoff": 30,
    "retry_backoff_max": 30 * 60,
    "retry_jitter": True,
    "max_retries": 5,
    "time_limit": 15 * 60,
    "soft_time_limit": 14 * 60,
}


@shared_task(name="trackers.sync_all", acks_late=True, time_limit=60)
def sync_all(full: bool = False) -> int:
    """Fan out one sync per enabled source not paused by a rate limit; return how many."""
    ids = list(services.sources_due().values_list("pk", flat=True))
    for pk in ids:
        sync_source.delay_on_commit(pk, full=full, trigger="beat")
    services.webhook_deliveries_prune()
    return len(ids)


@shared_task(name="trackers.sync_source", **_POLICY)
def sync_source(source_id: int, full: bool = False, trigger: str = "task") -> None:
    source = TrackerSource.objects.filter(pk=source_id, enabled=True).first()
    if source is None:
        return
    services.source_sync(source=source, full=full, trigger=trigger)


@shared_task(name="trackers.sync_issue", **_POLICY)
def sync_issue(source_id: int, project: str, number: int) -> None:
    source = TrackerSource.objects.filter(pk=source_id, enabled=True).first()
    if source is None:
        return
    services.issue_sync(source=source, project=project, number=number, trigger="webhook")
