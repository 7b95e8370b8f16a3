"""Writes of the trackers app: syncs (the pipeline in trackers.sync), "Sync now", webhook
deliveries, and the retention of the run ledger."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from fedimage.core.retention import delete_in_batches
from trackers.models import (
    RunStatus,
    SyncRun,
    SyncRunDay,
    TrackerSource,
    WebhookDelivery,
)
from trackers.sync import ledger
from trackers.sync.pipeline import (
    SyncInProgress,
    issue_sync,
    source_lock,
    source_sync,
    source_token,
)

__all__ = [
    "Delivery",
    "SyncInProgress",
    "SyncNow",
    "issue_sync",
    "ledger_prune",
    "source_sync",
    "source_to_sync",
    "source_token",
    "sources_due",
    "sync_now",
    "webhook_accept",
]

logger = logging.getLogger(__name__)

# A queued run whose task never started (its message lost) is closed after this long.
QUEUED_GIVE_UP = timedelta(hours=3)


def source_to_sync(*, pk: int) -> TrackerSource | None:
    """The enabled source `pk`, or None when it is gone or disabled (a task then returns)."""
    return TrackerSource.objects.filter(pk=pk, enabled=True).first()


def sources_due(*, now: datetime | None = None) -> QuerySet[TrackerSource]:
    """Enabled sources neither paused by a rate limit nor backing off after failed listings.

    A failing source's `backoff_until` (trackers.sync.ledger.failing_backoff) is met at the beat
    nearest to it, up to half a sync interval early: a run recorded a little after its beat
    (a busy worker, the run's own length) does not slip to the beat after.
    """
    now = now or timezone.now()
    slack = timedelta(seconds=settings.TRACKERS_SYNC_INTERVAL_SECONDS / 2)
    return TrackerSource.objects.filter(
        Q(enabled=True),
        Q(paused_until__isnull=True) | Q(paused_until__lte=now),
        Q(backoff_until__isnull=True) | Q(backoff_until__lte=now + slack),
    )


# Sync now


@dataclass(frozen=True)
class SyncNow:
    """What asking for a sync now did: queued `run`, or why not (`busy` with the run under way,
    or `paused_until`)."""

    run: SyncRun | None
    queued: bool
    paused_until: datetime | None = None


def sync_now(*, source: TrackerSource, requested_by: str) -> SyncNow:
    """Queue a sync of `source` now, unless one is queued or running or a rate limit pauses it.

    The queued run is in the ledger at once (status queued) and its task is sent after the
    commit; the page follows the run as it goes queued -> running -> done.
    """
    with transaction.atomic():
        source = TrackerSource.objects.select_for_update().get(pk=source.pk)
        under_way = _run_under_way(source)
        if under_way is not None:
            return SyncNow(run=under_way, queued=False)
        if source.is_paused():
            return SyncNow(run=None, queued=False, paused_until=source.paused_until)
        run = SyncRun.objects.create(
            source=source, status=RunStatus.QUEUED, trigger=f"sync now by {requested_by}"[:40]
        )
        TrackerSource.objects.filter(pk=source.pk).update(last_run=run)
        from trackers import tasks  # noqa: PLC0415 (tasks imports this module)

        # Through the outbox: sent after the commit, or when the broker is back.
        tasks.sync_source.enqueue(source.pk, trigger=run.trigger, run_id=run.pk)
    return SyncNow(run=run, queued=True)


def _run_under_way(source: TrackerSource) -> SyncRun | None:
    """The queued or running run of `source`; a running one nobody works on is closed."""
    runs = SyncRun.objects.filter(source=source, status__in=[RunStatus.QUEUED, RunStatus.RUNNING])
    run = runs.order_by("-started_at", "-id").first()
    if run is None:
        return None
    if run.status == RunStatus.QUEUED:
        if timezone.now() - run.started_at < QUEUED_GIVE_UP:
            return run
        _queued_close(SyncRun.objects.filter(pk=run.pk))
        return None
    with source_lock(source) as free:
        if free:  # nobody holds the source: that run's worker died
            ledger.runs_interrupted_close(source=source)
            return None
    return run


def _queued_close(runs: QuerySet[SyncRun]) -> int:
    now = timezone.now()
    return runs.filter(status=RunStatus.QUEUED).update(
        status=RunStatus.INTERRUPTED,
        finished_at=now,
        error="never started: its task was lost before a worker took it",
    )


# webhooks


@dataclass(frozen=True)
class Delivery:
    """A verified webhook delivery, reduced to what fedimage acts on."""

    kind: str
    delivery_id: str
    event: str
    project: str
    number: int | None


def webhook_accept(*, source: TrackerSource, delivery: Delivery) -> bool:
    """Record a verified delivery and queue the sync it asks for; False if it is a replay.

    The delivery row and the queued sync commit together: the sync goes through the task
    outbox, so a broker outage never refuses a delivery (the sync is sent when the broker is
    back) and nothing is queued for a delivery that was not recorded. A replay finds the row
    and changes nothing.
    """
    from trackers import tasks  # noqa: PLC0415 (tasks imports this module)

    try:
        with transaction.atomic():
            WebhookDelivery.objects.create(
                kind=delivery.kind,
                delivery_id=delivery.delivery_id,
                source=source,
                event=delivery.event[:100],
                issue_number=delivery.number,
            )
            if delivery.number is not None:
                tasks.sync_issue.enqueue(source.pk, delivery.project, delivery.number)
            else:
                tasks.sync_source.enqueue(source.pk, trigger="webhook")
    except IntegrityError:
        return False
    return True


# retention


@dataclass(frozen=True)
class Pruned:
    """What one pass of the retention did."""

    runs: int
    days: int
    deliveries: int
    queued_closed: int


def ledger_prune(*, now: datetime | None = None) -> Pruned:
    """Apply the ledger's retention; idempotent, and safe to stop at any point.

    Every run is kept `TRACKERS_RUNS_KEEP_DAYS` (7); failed and interrupted runs and runs that
    changed something `TRACKERS_NOTABLE_RUNS_KEEP_DAYS` (90). Older runs are summed into one
    SyncRunDay per source, kind and day, in the same transaction as their deletion, so a pass
    that stops midway neither loses nor counts twice. Webhook deliveries are forgotten after
    `TRACKERS_WEBHOOK_KEEP_DAYS` (30; senders redeliver for a few days at most), daily sums
    after `TRACKERS_RUN_DAYS_KEEP_DAYS` (730).
    """
    now = now or timezone.now()
    everything = now - timedelta(days=settings.TRACKERS_RUNS_KEEP_DAYS)
    notable = now - timedelta(days=settings.TRACKERS_NOTABLE_RUNS_KEEP_DAYS)
    quiet = Q(status__in=[RunStatus.OK, RunStatus.NOT_MODIFIED], created=0, updated=0, removed=0)
    finished = SyncRun.objects.exclude(status__in=[RunStatus.QUEUED, RunStatus.RUNNING])
    old = finished.filter(Q(started_at__lt=notable) | (Q(started_at__lt=everything) & quiet))
    groups = (
        old.annotate(day=TruncDate("started_at"))
        .values_list("source_id", "day", "kind")
        .distinct()
        .order_by("day")
    )
    runs = days = 0
    zone = timezone.get_current_timezone()  # TruncDate's days
    for source_id, day, kind in list(groups):
        # A range on started_at (not `__date`, a cast no index serves): one day of one source.
        start = datetime.combine(day, time.min, tzinfo=zone)
        end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
        with transaction.atomic():
            pks = list(
                old.filter(
                    source_id=source_id, kind=kind, started_at__gte=start, started_at__lt=end
                )
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)
            )
            if not pks:
                continue
            batch = SyncRun.objects.filter(pk__in=pks)
            sums = batch.aggregate(
                runs=Count("pk"),
                failed=Count("pk", filter=~Q(status__in=[RunStatus.OK, RunStatus.NOT_MODIFIED])),
                created=Sum("created"),
                updated=Sum("updated"),
                removed=Sum("removed"),
                requests=Sum("requests"),
                pages=Sum("pages"),
                seconds=Sum("duration"),
            )
            row, _ = SyncRunDay.objects.select_for_update().get_or_create(
                source_id=source_id, day=day, kind=kind
            )
            for name in ("runs", "failed", "created", "updated", "removed", "requests", "pages"):
                setattr(row, name, getattr(row, name) + (sums[name] or 0))
            row.seconds += sums["seconds"].total_seconds() if sums["seconds"] else 0.0
            row.save()
            runs += batch.delete()[0]
            days += 1
    keep_days = now - timedelta(days=settings.TRACKERS_RUN_DAYS_KEEP_DAYS)
    delete_in_batches(SyncRunDay.objects.filter(day__lt=keep_days.date()))
    deliveries = delete_in_batches(
        WebhookDelivery.objects.filter(
            received_at__lt=now - timedelta(days=settings.TRACKERS_WEBHOOK_KEEP_DAYS)
        )
    )
    queued = _queued_close(SyncRun.objects.filter(started_at__lt=now - QUEUED_GIVE_UP))
    if runs or deliveries or queued:
        logger.info(
            "trackers ledger: %d runs summed into %d days, %d deliveries and %d lost "
            "queued runs closed",
            runs,
            days,
            deliveries,
            queued,
        )
    return Pruned(runs=runs, days=days, deliveries=deliveries, queued_closed=queued)
