"""The pipeline: the stages of a source's sync, in order, and of one issue's (webhooks).

    listing run:  [boards] -> list -> map -> upsert (per page) -> moves -> reconcile -> ledger
    issue run:    fetch -> map -> upsert -> moves -> ledger

Both hold the source's lock, so no two runs of one source overlap, and both record their run
in the ledger whatever happens; a failure is re-raised after it is recorded.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from django.db import DatabaseError, connection, transaction

from fedimage.core.locks import Lease, single_flight
from trackers.clients.base import TrackerClient, TrackerError, TrackerNotFound
from trackers.clients.registry import client_for, supports_boards
from trackers.models import RunKind, RunStatus, SyncRun, TrackerSource
from trackers.sync import ledger
from trackers.sync.boards import board_refresh
from trackers.sync.budget import SharedBudget, budget_key
from trackers.sync.context import Progress, SyncContext
from trackers.sync.listing import Plan, list_pages
from trackers.sync.reconcile import census
from trackers.sync.upsert import mark_removed, resolve_moves, store_fetched

# Module settings, read at call time (tests and the benchmark shrink them).
PAGE_SIZE = 100
TIMEOUT = 20.0
BUSY_RETRY_AFTER = 30.0  # seconds before a sync refused by the lock tries again, at most
# Waits (seconds) for the database to come back before recording a failed run, when it was
# the database that failed (PostgreSQL restarted, a connection killed): about 15 s in all.
DATABASE_BACK_WAITS = (0.0, 1.0, 2.0, 4.0, 8.0)

logger = logging.getLogger(__name__)


class SyncInProgress(TrackerError):
    """Another sync of the same source holds its lock; `retry_after` says when to try again."""

    def __init__(self, name: str, *, retry_after: float = BUSY_RETRY_AFTER) -> None:
        self.retry_after = retry_after
        super().__init__(f"another sync of {name} is running")

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (_busy, (str(self), self.retry_after))


def _busy(message: str, retry_after: float) -> SyncInProgress:
    error = SyncInProgress("", retry_after=retry_after)
    error.args = (message,)
    return error


def source_token(source: TrackerSource) -> str | None:
    """Read the source's token from the environment variable the file names; never stored."""
    if not source.token_env:
        return None
    return os.environ.get(source.token_env) or None


def source_lock(source: TrackerSource) -> AbstractContextManager[Lease]:
    """The source's lock: held while a run of it lives, lapsing seconds after its holder dies."""
    return single_flight(f"trackers.source.{source.pk}")


def open_client(source: TrackerSource) -> TrackerClient:
    """The client of the source's tracker, sharing the budget of its tracker and token."""
    token = source_token(source)
    key = budget_key(kind=source.kind, base_url=source.base_url, token=token)
    return client_for(
        source.kind,
        base_url=source.base_url,
        token=token,
        per_page=PAGE_SIZE,
        timeout=TIMEOUT,
        budget=SharedBudget(key),
    )


@dataclass
class _Run:
    """A run under way: its context, and how to close it."""

    ctx: SyncContext

    def finish(self, status: str, error: BaseException | None = None) -> SyncRun:
        ctx = self.ctx
        ctx.run.waited = ctx.patience.waited
        return ledger.run_finish(
            source=ctx.source,
            run=ctx.run,
            counts=ctx.counts,
            requests=ctx.requests,
            status=status,
            error=error,
        )


def _guarded(
    source: TrackerSource,
    *,
    kind: str,
    trigger: str,
    run_id: int | None,
    on_progress: Callable[[Progress], None] | None,
    body: Callable[[SyncContext], str],
    prepare: Callable[[SyncRun], None] | None = None,
) -> SyncRun:
    with source_lock(source) as lease:
        if not lease:
            raise SyncInProgress(
                source.name,
                retry_after=min(BUSY_RETRY_AFTER, lease.retry_after or BUSY_RETRY_AFTER),
            )
        source.refresh_from_db()
        ledger.runs_interrupted_close(source=source)
        run = ledger.run_start(source=source, kind=kind, trigger=trigger, run_id=run_id)
        if prepare is not None:
            prepare(run)
        with open_client(source) as client:
            anonymous = bool(source.token_env) and source_token(source) is None
            ctx = SyncContext(
                source=source, run=run, client=client, anonymous=anonymous, on_progress=on_progress
            )
            if anonymous:
                ctx.counts.skip(
                    "token",
                    f"{source.token_env} is not set: synced anonymously, so private "
                    "and confidential issues are not visible and are kept as they were",
                )
            closing = _Run(ctx)
            try:
                status = body(ctx)
                with transaction.atomic():
                    resolve_moves(ctx)
            except Exception as exc:
                _record_failure(closing, exc)
                raise
            return closing.finish(status)


def _record_failure(closing: _Run, error: Exception) -> None:
    """Close the run as failed, even when the failure was the database's own.

    A connection the database dropped is closed and a new one opened, for a few seconds while
    the database comes back; if it stays away the run is left running, and the next sync of
    the source closes it as interrupted.
    """
    for wait in DATABASE_BACK_WAITS:
        time.sleep(wait)
        try:
            closing.finish(RunStatus.FAILED, error=error)
            return
        except DatabaseError as again:
            if connection.in_atomic_block:
                raise  # the caller's transaction is broken: it is the caller's to handle
            connection.close()  # the next query opens a new connection
            last = again
    logger.warning(
        "trackers: %s: the database is still unavailable, run %s left to the next sync: %s",
        closing.ctx.source.name, closing.ctx.run.pk, last,
    )  # fmt: skip


def source_sync(
    *,
    source: TrackerSource,
    full: bool = False,
    trigger: str = "",
    run_id: int | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> SyncRun:
    """Sync one source: resume its listing where the last run stopped, or start one."""
    plan_box: list[Plan] = []

    def prepare(run: SyncRun) -> None:
        plan = Plan.for_source(source, full=full)
        plan_box.append(plan)
        run.kind = plan.kind
        run.resumed_after_page = plan.resumed_after
        run.pages_total = plan.pages_total
        run.save(update_fields=["kind", "resumed_after_page", "pages_total"])

    def body(ctx: SyncContext) -> str:
        return _listing(ctx, plan_box[0])

    return _guarded(
        source,
        kind=RunKind.FULL if full else RunKind.INCREMENTAL,
        trigger=trigger,
        run_id=run_id,
        on_progress=on_progress,
        body=body,
        prepare=prepare,
    )


def _listing(ctx: SyncContext, plan: Plan) -> str:
    source = ctx.source
    if supports_boards(source.kind) and plan.since is None and not plan.resumed:
        board_refresh(ctx)
    listed = list_pages(ctx, plan)
    census(ctx)
    if listed.not_modified:
        return RunStatus.NOT_MODIFIED
    # An ETag answers for one query: keep it only while the cursor (the query) stays, and only
    # for a one-page listing (a 304 on page 1 says nothing of the pages after it).
    keep = ""
    if listed.single_page and plan.since is not None and source.cursor == plan.since:
        keep = plan.first_etag or ""
    if source.etag != keep:
        source.etag = keep
        source.save(update_fields=["etag"])
    return RunStatus.OK


def issue_sync(
    *,
    source: TrackerSource,
    project: str,
    number: int,
    trigger: str = "webhook",
    run_id: int | None = None,
) -> SyncRun:
    """Fetch one issue (a webhook named it): store it, or flag it removed if it is gone."""

    def body(ctx: SyncContext) -> str:
        client = ctx.client
        try:
            remote = ctx.call(lambda: client.get_issue(project, number))
        except TrackerNotFound:
            with transaction.atomic():
                mark_removed(ctx, ctx.held().filter(project=project, number=number))
            return RunStatus.OK
        with transaction.atomic():
            store_fetched(ctx, remote, project=project, number=number)
        return RunStatus.OK

    return _guarded(
        source, kind=RunKind.ISSUE, trigger=trigger, run_id=run_id, on_progress=None, body=body
    )
