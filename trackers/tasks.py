"""Celery tasks of the trackers app: thin wrappers around the sync services.

The retry policy lives in the decorators: a rate-limited or unreachable tracker is retried
later (a rate limit after the wait the tracker asked for), anything else fails the run, which
the service has already recorded in the ledger. One task per source, so a failing source never
holds up the others.
"""

from __future__ import annotations

from celery import shared_task

from trackers import services
from trackers.clients.base import RateLimited, TrackerUnavailable
from trackers.models import TrackerSource

RETRYABLE = (RateLimited, TrackerUnavailable, services.SyncInProgress)

# A rate limit or a busy lock carries `retry_after`, which the task base honours.
_POLICY = {
    "autoretry_for": RETRYABLE,
    "retry_backoff": 30,
    "retry_backoff_max": 30 * 60,
    "retry_jitter": True,
    "max_retries": 5,
    "max_retry_after": services.MAX_PAUSE.total_seconds(),
    "time_limit": 15 * 60,
}


@shared_task(name="trackers.sync_all", time_limit=60)
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
