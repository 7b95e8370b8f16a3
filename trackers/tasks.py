"""Celery tasks of the trackers app: thin wrappers around the sync services.

One retry layer, the task base's (fedimage.core.tasks): an error carrying `retry_after` (a rate
limit longer than a run waits out itself, a source busy with another sync) is retried after
that wait, an unreachable tracker with backoff; anything else fails the run, which the service
has already recorded in the ledger. A retried listing resumes after its last stored page. One
task per source, so a failing source never holds up the others.

An unreachable tracker gets a quick retry chain only on a source's first failure (a blip):
`BLIP_RETRIES` retries, within about 3.5 minutes, so the chain ends before the source is due
again. A source already failing is not retried: beat asks it again after its backoff
(trackers.services.sources_due), so retry chains never pile up over successive beats.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError

from fedimage.core.locks import single_flight
from trackers import services
from trackers.clients.base import RateLimited, TrackerUnavailable
from trackers.sync.ledger import MAX_PAUSE

# A database that went away for a moment (a restart, a failover) is retried like a tracker
# that did: the run is recorded as failed, and the retry resumes after its last stored page.
RETRYABLE = (
    RateLimited,
    TrackerUnavailable,
    services.SyncInProgress,
    OperationalError,
    InterfaceError,
)

_POLICY: dict[str, Any] = {
    "autoretry_for": RETRYABLE,
    "retry_backoff": 30,
    "retry_backoff_max": 30 * 60,
    "retry_jitter": True,
    "max_retries": 5,
    "max_retry_after": MAX_PAUSE.total_seconds(),
    "time_limit": 15 * 60,
}


# Retries of an unreachable tracker on its first failure: 30, 60, 120 s at most (jittered),
# each shorter than half a sync interval, so beat sends nothing while the chain lasts.
BLIP_RETRIES = 3


class StillUnavailable(TrackerUnavailable):
    """The tracker is still unreachable and the source was already failing: not retried."""


@shared_task(name="trackers.sync_all", time_limit=60)
def sync_all(full: bool = False) -> int:
    """Fan out one sync per due source (not paused, not backing off); return how many."""
    ids = list(services.sources_due().values_list("pk", flat=True))
    for pk in ids:
        sync_source.delay_on_commit(pk, full=full, trigger="beat")
    return len(ids)


@shared_task(
    name="trackers.sync_source", bind=True, dont_autoretry_for=(StillUnavailable,), **_POLICY
)
def sync_source(
    self,
    source_id: int,
    full: bool = False,
    trigger: str = "task",
    run_id: int | None = None,
) -> None:
    source = services.source_to_sync(pk=source_id)
    if source is None:
        return
    retries = self.request.retries or 0
    # A chain's first attempt decides: a source failing before it gets no chain.
    blip = retries < BLIP_RETRIES and (retries > 0 or not source.is_failing)
    try:
        services.source_sync(source=source, full=full, trigger=trigger, run_id=run_id)
    except TrackerUnavailable as exc:
        if blip:
            raise
        raise StillUnavailable(str(exc)) from exc


@shared_task(name="trackers.sync_issue", **_POLICY)
def sync_issue(source_id: int, project: str, number: int) -> None:
    source = services.source_to_sync(pk=source_id)
    if source is None:
        return
    services.issue_sync(source=source, project=project, number=number, trigger="webhook")


@shared_task(name="trackers.prune_ledger", time_limit=30 * 60)
def prune_ledger() -> int:
    """Apply the run ledger's and the webhook deliveries' retention; return runs summed.

    Idempotent, and one pass at a time (a second one returns at once).
    """
    with single_flight("trackers.prune_ledger") as lease:
        return services.ledger_prune().runs if lease else 0
