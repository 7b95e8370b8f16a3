"""The list stage: page through the tracker, storing each page with the position after it.

A listing is a plan saved on its source (`TrackerSource.listing`): its kind, the `since` it
started from, and the position after the last stored page. The page and the position are
written in one transaction, so whatever stops a run (a long rate limit, an outage, a killed
worker, a time limit) the next run goes on after the last stored page, never from page 1. A
completed listing moves the cursor, as before, and clears the plan.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from trackers.clients.base import ListingRequest, Page, RateLimited, parse_time
from trackers.models import RunKind, TrackerKind, TrackerSource
from trackers.sync.context import Progress, SyncContext
from trackers.sync.ledger import run_progress
from trackers.sync.upsert import upsert


@dataclass
class Plan:
    """A listing of one source: fresh, or the one an earlier run left part-way."""

    kind: str
    since: datetime | None
    position: dict[str, Any] | None = None
    page: int = 0
    pages_total: int | None = None
    issues: int = 0
    pull_requests: int = 0
    started_at: str = ""
    resumed_after: int | None = None
    first_etag: str | None = None

    @classmethod
    def for_source(cls, source: TrackerSource, *, full: bool) -> Plan:
        """Resume the saved listing if it still fits, else start one.

        A saved full listing is resumed whatever is asked (it covers an incremental one); a
        saved incremental one gives way to a full one. A listing saved for another project or
        tracker (the initiative file changed) is dropped.
        """
        saved = source.listing or {}
        fits = (
            saved.get("project") == source.project
            and saved.get("base_url") == source.base_url
            and saved.get("group") == source.is_group
            and saved.get("position")
        )
        if fits and (saved.get("kind") == RunKind.FULL or not full):
            page = int(saved.get("page", 0))
            return cls(
                kind=saved.get("kind", RunKind.INCREMENTAL),
                since=parse_time(saved.get("since")),
                position=dict(saved["position"]),
                page=page,
                pages_total=saved.get("pages_total"),
                issues=int(saved.get("issues", 0)),
                pull_requests=int(saved.get("pull_requests", 0)),
                started_at=saved.get("started_at", ""),
                resumed_after=page,
            )
        return cls(
            kind=RunKind.FULL if full else RunKind.INCREMENTAL,
            since=None if full else source.cursor,
            started_at=timezone.now().isoformat(),
        )

    @property
    def resumed(self) -> bool:
        return self.resumed_after is not None

    def saved(self, source: TrackerSource) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "since": None if self.since is None else self.since.isoformat(),
            "project": source.project,
            "base_url": source.base_url,
            "group": source.is_group,
            "position": self.position,
            "page": self.page,
            "pages_total": self.pages_total,
            "issues": self.issues,
            "pull_requests": self.pull_requests,
            "started_at": self.started_at,
        }


@dataclass(frozen=True)
class Listed:
    """How a listing ended."""

    not_modified: bool
    single_page: bool


def list_pages(ctx: SyncContext, plan: Plan) -> Listed:
    """Run the listing to its end, storing every page; short rate limits are waited out.

    A longer rate limit (or any other error) is raised with every page read so far stored and
    the position saved after it.
    """
    source = ctx.source
    etag = None
    if source.kind == TrackerKind.GITHUB and plan.since is not None and not plan.resumed:
        etag = source.etag or None
    request = ListingRequest(
        project=source.project,
        group=source.is_group,
        since=plan.since,
        etag=etag,
        resume=plan.position,
    )
    while True:
        try:
            for page in ctx.client.iter_pages(request):
                if page.not_modified:
                    _note_page(ctx, page)
                    return Listed(not_modified=True, single_page=True)
                store_page(ctx, plan, page)
                if page.last:
                    if plan.pull_requests:
                        ctx.counts.skip(
                            "pull requests",
                            "listed with the issues; they are not issues",
                            plan.pull_requests,
                        )
                    return Listed(not_modified=False, single_page=plan.page == 1)
            return Listed(not_modified=False, single_page=False)  # pragma: no cover
        except RateLimited as exc:
            ctx.patience.absorb(exc)
            ctx.run.waited = ctx.patience.waited
            request = replace(request, resume=plan.position, etag=None)


def store_page(ctx: SyncContext, plan: Plan, page: Page) -> None:
    """Store a page, the position after it and the run's progress, in one transaction."""
    source, run = ctx.source, ctx.run
    plan.page += 1
    plan.issues += len(page.issues)
    plan.pull_requests += page.skipped_pull_requests
    plan.position = dict(page.position)
    plan.pages_total = page.pages_total
    if plan.page == 1 and not plan.resumed:
        plan.first_etag = page.etag
    update = ["listing", "rate_limit_remaining"]
    with transaction.atomic():
        upsert(ctx, page.issues)
        if page.last:
            source.listing = {}
            if page.cursor is not None:
                source.cursor = page.cursor
                update.append("cursor")
        else:
            source.listing = plan.saved(source)
        source.rate_limit_remaining = page.rate_limit_remaining
        run.pages += 1
        run.pages_total = plan.pages_total
        run.rate_limit_remaining = page.rate_limit_remaining
        run.waited = ctx.patience.waited
        run.save(update_fields=run_progress(run, ctx.counts, requests=ctx.requests))
        source.save(update_fields=update)
    _report(ctx, plan)


def _note_page(ctx: SyncContext, page: Page) -> None:
    ctx.run.rate_limit_remaining = page.rate_limit_remaining
    ctx.source.rate_limit_remaining = page.rate_limit_remaining
    ctx.source.save(update_fields=["rate_limit_remaining"])


def _report(ctx: SyncContext, plan: Plan) -> None:
    if ctx.on_progress is None:
        return
    ctx.on_progress(
        Progress(
            source=ctx.source.name,
            page=plan.page,
            pages_total=plan.pages_total,
            issues=plan.issues,
            requests=ctx.requests,
            rate_limit_remaining=ctx.run.rate_limit_remaining,
            waited=ctx.patience.waited,
        )
    )
