"""The ledger stage: a run's row, its counts, and the source's listing status.

A source's status is the outcome of its listings only: a webhook run (one issue) is recorded in
the ledger but never sets "last success", never clears a failure and never lifts a pause.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.db.models import Count, Q
from django.utils import timezone

from trackers.clients.base import RateLimited, TrackerAuthError, TrackerError
from trackers.models import (
    IssueState,
    RunKind,
    RunStatus,
    SyncRun,
    TrackedIssue,
    TrackerSource,
)

logger = logging.getLogger(__name__)

MAX_CHANGES_KEPT = 200
# A pause never outlasts the broker's visibility timeout, so its retry is not sent twice.
MAX_PAUSE = timedelta(hours=2)
INTERRUPTED_ERROR = "worker stopped before the run finished"

Outcome = Literal["created", "updated", "unchanged"]


@dataclass
class Counts:
    """What one run did, each issue counted once however often the run met it."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    changes: list[str] = field(default_factory=list)
    changes_total: int = 0
    skipped: list[dict[str, Any]] = field(default_factory=list)
    _seen: dict[tuple[str, int], Outcome] = field(default_factory=dict, repr=False)

    def met(self, key: tuple[str, int], outcome: Outcome) -> bool:
        """Count meeting issue `key` with `outcome`; False if it adds nothing to what the run
        already counted for it (met again, unchanged)."""
        before = self._seen.get(key)
        if before == "created" or (before == "updated" and outcome != "created"):
            return outcome != "unchanged"
        if before == outcome:
            return False
        if before is not None:
            setattr(self, before, getattr(self, before) - 1)
        self._seen[key] = outcome
        setattr(self, outcome, getattr(self, outcome) + 1)
        return True

    def note(self, line: str) -> None:
        self.changes_total += 1
        if len(self.changes) < MAX_CHANGES_KEPT:
            self.changes.append(line)

    def skip(self, what: str, why: str, count: int = 1) -> None:
        self.skipped.append({"what": what, "why": why, "count": count})


def run_start(
    *, source: TrackerSource, kind: str, trigger: str, run_id: int | None = None
) -> SyncRun:
    """The run's row: the queued one `run_id` names (Sync now), else a new one."""
    now = timezone.now()
    run = None
    if run_id is not None:
        run = SyncRun.objects.filter(pk=run_id, source=source, status=RunStatus.QUEUED).first()
    if run is None:
        run = SyncRun(source=source, trigger=trigger[:40])
    run.kind, run.status, run.started_at = kind, RunStatus.RUNNING, now
    run.cursor_before = source.cursor
    run.save()
    TrackerSource.objects.filter(pk=source.pk).update(last_run=run, last_run_at=now)
    source.last_run, source.last_run_at = run, now
    return run


def run_progress(run: SyncRun, counts: Counts, *, requests: int) -> list[str]:
    """Copy the counts onto the run (saved by the caller with the page); the fields written."""
    run.created, run.updated = counts.created, counts.updated
    run.unchanged, run.removed = counts.unchanged, counts.removed
    run.changes, run.changes_total = counts.changes, counts.changes_total
    run.skipped = counts.skipped
    run.requests = requests
    return [
        "created", "updated", "unchanged", "removed", "changes", "changes_total", "skipped",
        "requests", "pages", "pages_total", "rate_limit_remaining", "waited",
        "resumed_after_page",
    ]  # fmt: skip


def run_finish(
    *,
    source: TrackerSource,
    run: SyncRun,
    counts: Counts,
    requests: int,
    status: str,
    error: BaseException | None = None,
) -> SyncRun:
    """Close the run; for a listing, write its outcome on the source."""
    now = timezone.now()
    run_progress(run, counts, requests=requests)
    run.status = status
    run.finished_at = now
    run.duration = now - run.started_at
    run.cursor_after = source.cursor
    if error is not None:
        run.error = error_text(error, source=source)
    run.save()
    update = ["last_run_at", "issues_held", "issues_open"]
    source.last_run_at = now
    held = TrackedIssue.objects.filter(source=source, removed=False).aggregate(
        held=Count("pk"), open=Count("pk", filter=Q(state=IssueState.OPEN))
    )
    source.issues_held, source.issues_open = held["held"], held["open"]
    if run.is_listing:
        if error is None:
            source.last_success_at = now
            source.failing_since = None
            source.paused_until = None
            source.backoff_until = None
            update += ["last_success_at", "failing_since", "paused_until", "backoff_until"]
        else:
            source.last_error, source.last_error_at = run.error, now
            source.failing_since = source.failing_since or now
            update += ["last_error", "last_error_at", "failing_since", "backoff_until"]
            if isinstance(error, RateLimited):
                # The tracker said when to come back: the pause, not the backoff, holds.
                source.paused_until = now + min(timedelta(seconds=error.retry_after), MAX_PAUSE)
                source.backoff_until = None
                update.append("paused_until")
            else:
                source.backoff_until = now + failing_backoff(now - source.failing_since)
    source.save(update_fields=update)
    _log_outcome(source, run)
    return run


def failing_backoff(failing_for: timedelta) -> timedelta:
    """How long the periodic sync leaves a source alone after a failed listing: as long as it
    has been failing, at least one sync interval, at most TRACKERS_FAILING_BACKOFF_MAX_SECONDS.

    Successive failures are so asked about twice as far apart each time (5, 10, 20, 40 minutes
    with the defaults), then hourly, until a listing succeeds.
    """
    interval = timedelta(seconds=settings.TRACKERS_SYNC_INTERVAL_SECONDS)
    most = timedelta(seconds=settings.TRACKERS_FAILING_BACKOFF_MAX_SECONDS)
    return max(interval, min(failing_for, most))


def _log_outcome(source: TrackerSource, run: SyncRun) -> None:
    """One line per run with its outcome (the clients' per-request lines are DEBUG)."""
    seconds = run.duration.total_seconds() if run.duration else 0.0
    if run.error:
        logger.warning(
            "trackers: %s: %s sync %s after %.1fs (%d requests): %s",
            source.name, run.kind, run.status, seconds, run.requests, run.error,
        )  # fmt: skip
        return
    logger.info(
        "trackers: %s: %s sync %s in %.1fs: %d created, %d updated, %d removed, %d requests",
        source.name, run.kind, run.status, seconds, run.created, run.updated, run.removed,
        run.requests,
    )  # fmt: skip


def error_text(error: BaseException, *, source: TrackerSource) -> str:
    """What the ledger and the status page say about a failure (never a secret)."""
    if isinstance(error, TrackerAuthError):
        if not source.token_env:
            hint = "no token is configured: name one in token_env if the project is private"
        else:
            hint = f"check the token in the environment variable {source.token_env}"
        return f"{type(error).__name__}: {error} ({hint})"[:2000]
    if isinstance(error, TrackerError):
        return f"{type(error).__name__}: {error}"[:2000]
    if isinstance(error, OperationalError | InterfaceError):
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        return f"the database was unavailable ({type(error).__name__}: {first})"[:2000]
    # An internal error: name it, keep its message short; the traceback goes to the log.
    return f"internal error: {type(error).__name__}: {error}"[:2000]


def runs_interrupted_close(*, source: TrackerSource) -> int:
    """Close the runs of `source` a dead worker left running; call with the source locked.

    Holding the source's lock proves no other sync of it is under way, so a run still marked
    running was cut short: its worker was killed or lost. Returns how many runs were closed.
    """
    now = timezone.now()
    error = f"{INTERRUPTED_ERROR} (found still running at {now:%Y-%m-%d %H:%M} UTC)"
    closed = SyncRun.objects.filter(source=source, status=RunStatus.RUNNING).update(
        status=RunStatus.INTERRUPTED, finished_at=now, error=error
    )
    if closed:
        logger.warning("trackers: %s: closed %d interrupted run(s)", source.name, closed)
    return closed


def listing_kind(*, full: bool) -> str:
    return RunKind.FULL if full else RunKind.INCREMENTAL
