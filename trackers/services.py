"""Writes of the trackers app: syncing sources, reconciling, webhook deliveries.

The clients speak HTTP and hand back dataclasses; this module maps them onto the models. Every
page of a listing is stored in one transaction, the last one together with the new cursor, so a
run that fails midway keeps what it stored and the next run reads the window again from the old
cursor; nothing is half-written.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from fedimage.core.locks import Lease, single_flight
from trackers.clients.base import (
    Board,
    Page,
    RateLimited,
    RemoteIssue,
    TrackerAuthError,
    TrackerError,
    TrackerGarbage,
    TrackerNotFound,
)
from trackers.clients.forgejo import ForgejoClient
from trackers.clients.github import GitHubClient
from trackers.clients.gitlab import GitLabClient
from trackers.models import (
    IssueState,
    RunKind,
    RunStatus,
    SyncRun,
    TrackedIssue,
    TrackerKind,
    TrackerSource,
    WebhookDelivery,
)

logger = logging.getLogger(__name__)

# Module settings, read at call time (tests and the benchmark shrink them).
PAGE_SIZE = 100
BACKOFF = 0.5  # seconds before the first retry of a 5xx (GitHub, Forgejo)
TIMEOUT = 20.0
# Issues a full run finds missing are confirmed one by one before being flagged removed;
# more than this many wait for the next full run (a truncated listing must not wipe a source).
CONFIRM_LIMIT = 50
MAX_CHANGES_KEPT = 200
MAX_PAUSE = timedelta(hours=2)  # the longest a rate limit pauses a source

SYNCED_FIELDS = [
    "remote_id", "title", "body", "state", "labels", "label_index", "milestone", "assignees",
    "author", "web_url", "created_at", "updated_at", "closed_at", "board_column", "confidential",
    "moved_to", "removed", "removed_at",
]  # fmt: skip
_FIT = {"project": 300, "milestone": 300, "author": 200}


class SyncInProgress(Exception):
    """Another sync of the same source holds its lock (`retry_after`: when it lapses at most)."""

    def __init__(self, name: str, *, retry_after: float | None = None) -> None:
        super().__init__(name)
        self.retry_after = retry_after


class TokenMissing(TrackerError):
    """The environment variable the initiative file names for a source's token is not set."""


Client = GitLabClient | GitHubClient | ForgejoClient


def source_token(source: TrackerSource) -> str | None:
    """Read the source's token from the environment variable the file names; never stored."""
    if not source.token_env:
        return None
    return os.environ.get(source.token_env) or None


def client_for(source: TrackerSource) -> Client:
    token = source_token(source)
    if source.kind == TrackerKind.GITLAB:
        return GitLabClient(
            base_url=source.base_url, token=token, per_page=PAGE_SIZE, timeout=TIMEOUT
        )
    if source.kind == TrackerKind.GITHUB:
        return GitHubClient(
            base_url=source.base_url,
            token=token,
            per_page=PAGE_SIZE,
            backoff=BACKOFF,
            timeout=TIMEOUT,
        )
    return ForgejoClient(
        base_url=source.base_url, token=token, limit=PAGE_SIZE, backoff=BACKOFF, timeout=TIMEOUT
    )


def label_index(labels: Iterable[str]) -> str:
    labels = list(labels)
    return "\n" + "\n".join(labels) + "\n" if labels else ""


def board_column(labels: Iterable[str], state: str, columns: list[str]) -> str:
    """GitLab's rule: closed issues sit in Closed; open ones in the first list whose label they
    carry, in board order, else in Open. Without a board there is no column."""
    if not columns:
        return ""
    if state == IssueState.CLOSED:
        return "Closed"
    held = set(labels)
    return next((c for c in columns if c in held), "Open")


@dataclass
class _Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    changes: list[str] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def note(self, line: str) -> None:
        if len(self.changes) < MAX_CHANGES_KEPT:
            self.changes.append(line)

    def skip(self, what: str, why: str, count: int = 1) -> None:
        self.skipped.append({"what": what, "why": why, "count": count})


class _Sync:
    """One run against one source; create with the source locked."""

    def __init__(self, source: TrackerSource, *, kind: str, trigger: str) -> None:
        self.source = source
        self.counts = _Counts()
        self.seen: set[tuple[str, int]] = set()
        self.unauthenticated = bool(source.token_env) and source_token(source) is None
        self.run = SyncRun.objects.create(
            source=source, kind=kind, trigger=trigger[:40], cursor_before=source.cursor
        )
        self.client: Client | None = None

    # the run
    def listing(self, *, full: bool) -> SyncRun:
        source = self.source
        since = None if full else source.cursor
        etag = None
        if source.kind == TrackerKind.GITHUB and since is not None and source.etag:
            etag = source.etag
        return self._guarded(lambda client: self._list(client, since=since, etag=etag, full=full))

    def one_issue(self, project: str, number: int) -> SyncRun:
        return self._guarded(lambda client: self._fetch_one(client, project, number))

    def _guarded(self, body) -> SyncRun:
        if self.unauthenticated:
            self.counts.skip(
                "token",
                f"{self.source.token_env} is not set: synced anonymously, so private "
                "and confidential issues are not visible and are kept as they were",
            )
        try:
            with client_for(self.source) as client:
                self.client = client
                status = body(client)
                self._resolve_moves()
        except Exception as exc:
            self._finish(RunStatus.FAILED, error=exc)
            raise
        return self._finish(status)

    def _list(self, client: Client, *, since: datetime | None, etag: str | None, full: bool) -> str:
        source = self.source
        # Boards change rarely: read them on the first and on full runs, so an incremental run
        # with no change stays one request.
        if isinstance(client, GitLabClient) and since is None:
            self._refresh_board(client)
        first_etag: str | None = None
        single_page = True
        not_modified = False
        pull_requests = 0
        for page in self._pages(client, since=since, etag=etag):
            if page.not_modified:
                not_modified = True
                self._store_page(page)
                break
            self.run.pages += 1
            if page.number == 1:
                first_etag = page.etag
            elif page.number > 1:
                single_page = False
            pull_requests += page.skipped_pull_requests
            self._store_page(page)
        if pull_requests:
            self.counts.skip(
                "pull requests", "listed with the issues; they are not issues", pull_requests
            )
        if not_modified:
            return RunStatus.NOT_MODIFIED
        if full:
            self._reconcile_missing(client)
        # An ETag answers for one query: keep it only while the cursor (the query) stays, and
        # only for a one-page listing (a 304 on page 1 says nothing of the pages after it).
        keep = first_etag if single_page and source.cursor == since and since else ""
        if source.etag != (keep or ""):
            source.etag = keep or ""
            source.save(update_fields=["etag"])
        return RunStatus.OK

    def _pages(self, client: Client, *, since: datetime | None, etag: str | None) -> Iterator[Page]:
        source = self.source
        if isinstance(client, GitLabClient):
            return client.iter_pages(source.project, since=since, group=source.is_group)
        if isinstance(client, GitHubClient):
            return client.iter_pages(source.project, since=since, etag=etag)
        return client.iter_pages(source.project, since=since)

    def _fetch_one(self, client: Client, project: str, number: int) -> str:
        try:
            remote = client.get_issue(project, number)
        except TrackerNotFound:
            with transaction.atomic():
                self._mark_removed(self._held().filter(project=project, number=number))
            return RunStatus.OK
        with transaction.atomic():
            if not self._moved_away(remote):
                self._upsert([remote])
        return RunStatus.OK

    # storing
    def _store_page(self, page: Page) -> None:
        source = self.source
        update = ["rate_limit_remaining", "rate_limit_reset"]
        with transaction.atomic():
            self._upsert(page.issues)
            # A shift during paging is only noticed on a later page, which may hold the cursor
            # back: a cursor is safe only once the whole listing is stored. A failed run re-reads
            # from the old cursor (upserts are idempotent).
            if page.last and page.cursor is not None and not page.not_modified:
                source.cursor = page.cursor
                update.append("cursor")
            source.rate_limit_remaining = page.rate_limit_remaining
            source.rate_limit_reset = page.rate_limit_reset
            source.save(update_fields=update)
        self.run.rate_limit_remaining = page.rate_limit_remaining

    def _held(self):
        return TrackedIssue.objects.filter(source=self.source)

    def _upsert(self, issues: Iterable[RemoteIssue]) -> None:
        latest: dict[tuple[str, int], RemoteIssue] = {}
        for issue in issues:
            key = (issue.project_path, issue.number)
            if key not in latest or issue.updated_at >= latest[key].updated_at:
                latest[key] = issue
        if not latest:
            return
        self.seen.update(latest)
        projects = {p for p, _ in latest}
        numbers = {n for _, n in latest}
        existing = {
            (t.project, t.number): t
            for t in self._held().filter(project__in=projects, number__in=numbers)
        }
        now = timezone.now()
        columns = list(self.source.board_columns)
        new: list[TrackedIssue] = []
        changed: list[TrackedIssue] = []
        for key, remote in latest.items():
            values = self._values(remote, columns)
            if values is None:
                continue
            held = existing.get(key)
            if held is None:
                new.append(
                    TrackedIssue(
                        source=self.source,
                        project=key[0],
                        number=key[1],
                        first_seen_at=now,
                        synced_at=now,
                        **values,
                    )
                )
                self.counts.created += 1
                # The ledger is public (pages, API): a confidential issue's title stays out.
                title = "" if remote.confidential else f" {remote.title[:80]}"
                self.counts.note(
                    f"created {remote.project_path}#{remote.number} ({remote.state}){title}"
                )
                continue
            if held.updated_at > remote.updated_at and not held.removed:
                # A slower listing (or webhook fetch) carries older data than we hold.
                self.counts.unchanged += 1
                continue
            diff = [name for name, value in values.items() if getattr(held, name) != value]
            if not diff:
                self.counts.unchanged += 1
                continue
            what = ", ".join(
                _describe(name, getattr(held, name), values[name])
                for name in diff
                if name not in ("label_index", "updated_at", "removed_at")
            )
            for name in diff:
                setattr(held, name, values[name])
            held.synced_at = now
            changed.append(held)
            self.counts.updated += 1
            self.counts.note(f"updated {held.reference}: {what or 'updated_at'}")
        if new:
            TrackedIssue.objects.bulk_create(new)
        if changed:
            TrackedIssue.objects.bulk_update(changed, [*SYNCED_FIELDS, "synced_at"])

    def _values(self, remote: RemoteIssue, columns: list[str]) -> dict[str, Any] | None:
        if len(remote.web_url) > 1000 or len(remote.project_path) > _FIT["project"]:
            self.counts.skip(
                f"{remote.project_path[:100]}#{remote.number}",
                "its URL or project path is longer than fedimage stores",
            )
            return None
        labels = list(dict.fromkeys(remote.labels))
        return {
            "remote_id": remote.remote_id,
            "title": remote.title,
            "body": remote.body,
            "state": remote.state,
            "labels": labels,
            "label_index": label_index(labels),
            "milestone": (remote.milestone or "")[: _FIT["milestone"]],
            "assignees": list(remote.assignees),
            "author": (remote.author or "")[: _FIT["author"]],
            "web_url": remote.web_url,
            "created_at": remote.created_at,
            "updated_at": remote.updated_at,
            "closed_at": remote.closed_at,
            "board_column": board_column(labels, remote.state, columns),
            "confidential": remote.confidential,
            "moved_to": remote.moved_to or "",
            "removed": False,
            "removed_at": None,
        }

    def _mark_removed(self, rows, *, moved_to: str = "") -> None:
        now = timezone.now()
        for issue in rows.filter(removed=False):
            issue.removed, issue.removed_at, issue.synced_at = True, now, now
            if moved_to:
                issue.moved_to = moved_to
            issue.save(update_fields=["removed", "removed_at", "synced_at", "moved_to"])
            self.counts.removed += 1
            self.counts.note(
                f"removed {issue.reference}"
                + (f" (moved to {moved_to})" if moved_to else " (gone upstream)")
            )

    def _moved_away(self, remote: RemoteIssue) -> bool:
        """GitHub and Forgejo answer a transferred issue from its new home (a redirect)."""
        if self.source.kind == TrackerKind.GITLAB:
            return False
        marker = f"/{remote.project_path}/issues/"
        if marker in remote.web_url:
            return False
        self._mark_removed(
            self._held().filter(project=remote.project_path, number=remote.number),
            moved_to=remote.web_url,
        )
        return True

    def _reconcile_missing(self, client: Client) -> None:
        """After a complete listing: confirm, one by one, each held issue it did not return."""
        held = self._held().filter(removed=False).values_list("project", "number", "confidential")
        missing = [(p, n, c) for p, n, c in held if (p, n) not in self.seen]
        if self.unauthenticated:
            hidden = [m for m in missing if m[2]]
            missing = [m for m in missing if not m[2]]
            if hidden:
                self.counts.skip(
                    "confidential issues", "not visible without the token: kept", len(hidden)
                )
        for project, number, _ in missing[:CONFIRM_LIMIT]:
            try:
                remote = client.get_issue(project, number)
            except TrackerNotFound:
                with transaction.atomic():
                    self._mark_removed(self._held().filter(project=project, number=number))
                continue
            with transaction.atomic():
                if not self._moved_away(remote):
                    self._upsert([remote])
        if len(missing) > CONFIRM_LIMIT:
            self.counts.skip(
                "missing issues",
                f"not listed any more; confirmed at the next full run ({CONFIRM_LIMIT} per run)",
                len(missing) - CONFIRM_LIMIT,
            )

    def _resolve_moves(self) -> None:
        """Point moved GitLab issues at their copy when fedimage holds it (by global id)."""
        pending = list(
            self._held().filter(
                ~Q(moved_to=""), moved_to__startswith="gitlab-id:", moved_to_issue__isnull=True
            )
        )
        if not pending:
            return
        ids = {}
        for issue in pending:
            value = issue.moved_to.removeprefix("gitlab-id:")
            if value.isdigit():
                ids[issue.pk] = int(value)
        targets = {
            t.remote_id: t
            for t in TrackedIssue.objects.filter(
                remote_id__in=set(ids.values()),
                source__kind=TrackerKind.GITLAB,
                source__base_url=self.source.base_url,
            )
        }
        resolved = []
        for issue in pending:
            target = targets.get(ids.get(issue.pk))
            if target is not None:
                issue.moved_to_issue = target
                resolved.append(issue)
                self.counts.note(f"moved {issue.reference} -> {target.reference}")
        if resolved:
            TrackedIssue.objects.bulk_update(resolved, ["moved_to_issue"])

    def _refresh_board(self, client: GitLabClient) -> None:
        source = self.source
        try:
            boards = client.boards(source.project, group=source.is_group)
        except (TrackerNotFound, TrackerAuthError, TrackerGarbage) as exc:
            self.counts.skip("board", f"could not be read: {exc}")
            return
        board: Board | None = None
        if source.board_id:
            board = next((b for b in boards if b.id == source.board_id), None)
            if board is None:
                self.counts.skip("board", f"board {source.board_id} does not exist")
        elif boards:
            board = boards[0]
        columns = [c.label for c in board.columns] if board else []
        name = board.name if board else ""
        if columns == source.board_columns and name == source.board_name:
            return
        with transaction.atomic():
            source.board_columns, source.board_name = columns, name
            source.save(update_fields=["board_columns", "board_name"])
            issues = list(self._held().only("id", "labels", "state", "board_column"))
            for issue in issues:
                issue.board_column = board_column(issue.labels, issue.state, columns)
            TrackedIssue.objects.bulk_update(issues, ["board_column"], batch_size=1000)
        self.counts.note(f"board {name!r}: columns {', '.join(columns) or 'none'}")

    # the ledger
    def _finish(self, status: str, *, error: BaseException | None = None) -> SyncRun:
        run, source, counts = self.run, self.source, self.counts
        now = timezone.now()
        run.status = status
        run.finished_at = now
        run.duration = now - run.started_at
        run.cursor_after = source.cursor
        run.created, run.updated = counts.created, counts.updated
        run.unchanged, run.removed = counts.unchanged, counts.removed
        run.changes, run.skipped = counts.changes, counts.skipped
        run.requests = self.client.requests_made if self.client is not None else 0
        update = ["last_run_at"]
        source.last_run_at = now
        if error is None:
            source.last_success_at = now
            source.paused_until = None
            update += ["last_success_at", "paused_until"]
        else:
            run.error = _error_text(error)
            source.last_error, source.last_error_at = run.error, now
            update += ["last_error", "last_error_at"]
            if isinstance(error, RateLimited):
                pause = min(timedelta(seconds=error.retry_after_seconds), MAX_PAUSE)
                source.paused_until = now + pause
                update.append("paused_until")
        run.save()
        source.save(update_fields=update)
        return run


def _error_text(error: BaseException) -> str:
    if isinstance(error, TrackerError):
        return f"{type(error).__name__}: {error}"[:2000]
    # An internal error: name it, keep its message short; the traceback goes to the log.
    return f"internal error: {type(error).__name__}: {error}"[:2000]


def _describe(name: str, old: Any, new: Any) -> str:
    if name in ("state", "board_column", "milestone"):
        return f"{name} {old or '-'} -> {new or '-'}"
    if name == "removed":
        return "restored" if not new else "removed"
    return name


def _locked(source: TrackerSource) -> AbstractContextManager[Lease]:
    return single_flight(f"trackers.source.{source.pk}")


INTERRUPTED_ERROR = "worker stopped before the run finished"


def runs_interrupted_close(*, source: TrackerSource) -> int:
    """Close the runs of `source` a dead worker left running; call with the source locked.

    Holding the source's lock proves no other sync of it is under way (a live sync keeps its
    lock renewed; a dead one's lapses within seconds), so a run still marked running was cut
    short: its worker was killed or lost. Returns how many runs were closed.
    """
    now = timezone.now()
    error = f"{INTERRUPTED_ERROR} (found still running at {now:%Y-%m-%d %H:%M} UTC)"
    closed = SyncRun.objects.filter(source=source, status=RunStatus.RUNNING).update(
        status=RunStatus.INTERRUPTED, finished_at=now, error=error
    )
    if closed:
        logger.warning("trackers: %s: closed %d interrupted run(s)", source.name, closed)
    return closed


def source_sync(*, source: TrackerSource, full: bool = False, trigger: str = "") -> SyncRun:
    """Sync one source: changes since its cursor, or (`full`) everything, reconciled.

    A full run lists every issue, compares the listing with what is held and confirms each
    missing one with the tracker before flagging it removed; the run's `changes` are what it
    corrected. Raises SyncInProgress when another sync of the source runs, and re-raises the
    tracker's error after recording it on the source and in the ledger.
    """
    with _locked(source) as lease:
        if not lease:
            raise SyncInProgress(source.name, retry_after=lease.retry_after)
        source.refresh_from_db()
        runs_interrupted_close(source=source)
        sync = _Sync(source, kind=RunKind.FULL if full else RunKind.INCREMENTAL, trigger=trigger)
        return sync.listing(full=full)


def source_reconcile(*, source: TrackerSource, trigger: str = "") -> SyncRun:
    """The periodic sweep that catches what incremental sync and webhooks missed."""
    return source_sync(source=source, full=True, trigger=trigger or "reconcile")


def issue_sync(
    *, source: TrackerSource, project: str, number: int, trigger: str = "webhook"
) -> SyncRun:
    """Fetch one issue (a webhook named it): store it, or flag it removed if it is gone."""
    with _locked(source) as lease:
        if not lease:
            raise SyncInProgress(source.name, retry_after=lease.retry_after)
        source.refresh_from_db()
        runs_interrupted_close(source=source)
        return _Sync(source, kind=RunKind.ISSUE, trigger=trigger).one_issue(project, number)


def sources_due(*, now: datetime | None = None):
    """Enabled sources not paused by a rate limit."""
    now = now or timezone.now()
    return TrackerSource.objects.filter(enabled=True).filter(
        Q(paused_until__isnull=True) | Q(paused_until__lte=now)
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


def webhook_deliveries_prune(*, older_than: timedelta | None = None) -> int:
    """Forget deliveries older than any sender redelivers (GitHub: 3 days)."""
    days = getattr(settings, "TRACKERS_WEBHOOK_KEEP_DAYS", 30)
    cutoff = timezone.now() - (older_than or timedelta(days=days))
    deleted, _ = WebhookDelivery.objects.filter(received_at__lt=cutoff).delete()
    return deleted
