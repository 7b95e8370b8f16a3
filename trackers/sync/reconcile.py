"""The reconcile stage: see deletions and transfers without listing everything again.

After every completed listing the tracker is asked how many issues it has, and that is compared
with what fedimage holds (GitLab: issue statistics; GitHub: the search API's count, which has
its own rate limit; Forgejo: the listing's X-Total-Count). Equal counts end it: one request.
When they differ, the time range of held issues (by update time) is cut in two at the median
held issue, the tracker counts one half, and only halves whose counts differ are cut again,
down to about a page of issues, which is then listed whole. A held issue such a listing does not
return is confirmed with the tracker by number before it is flagged removed (a transfer is
followed to its new home); an issue the tracker has and fedimage lacks is stored.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TypeVar

from django.db import transaction
from django.db.models import QuerySet

from trackers.clients.base import (
    ListingRequest,
    RateLimited,
    RemoteIssue,
    TrackerError,
    TrackerNotFound,
)
from trackers.models import TrackedIssue
from trackers.sync.context import SyncContext
from trackers.sync.upsert import mark_removed, store_fetched, upsert

T = TypeVar("T")

# Held issues fedimage lists whole rather than counting further.
RANGE_LISTED = 100
# Requests the comparison may spend in one run (at least; a source's full listing plus a few
# when it is larger); what is left waits for the next run.
MAX_REQUESTS = 60
# Missing issues confirmed one by one per run (a truncated answer must not wipe a source).
CONFIRM_LIMIT = 50


class _Spent(Exception):
    """The comparison used up its requests for this run."""


def _second(when: datetime) -> datetime:
    return when.replace(microsecond=0)


class Census:
    """One comparison of the tracker's counts with what is held, within a request budget."""

    def __init__(self, ctx: SyncContext) -> None:
        self.ctx = ctx
        self.requests = 0
        source = ctx.source
        self.project, self.group = source.project, source.is_group
        self.per_page = max(1, int(getattr(ctx.client, "per_page", 100)))
        self.budget = MAX_REQUESTS
        self._mark = ctx.requests

    def pages(self, issues: int) -> int:
        return -(-issues // self.per_page)

    def held(self, low: datetime | None = None, high: datetime | None = None) -> QuerySet:
        qs = self.ctx.held().filter(removed=False)
        if self.ctx.anonymous:
            qs = qs.filter(confidential=False)  # not listed without the token
        if low is not None:
            qs = qs.filter(updated_at__gte=low)
        if high is not None:
            qs = qs.filter(updated_at__lt=high)
        return qs

    def ask(self, call: Callable[[], T]) -> T:
        """One request (waiting out short rate limits), taken from the budget."""
        if self.requests >= self.budget:
            raise _Spent
        try:
            return self.ctx.call(call)
        finally:
            self.spend_quietly()

    def spend_quietly(self) -> None:
        self.requests += self.ctx.requests - self._mark
        self._mark = self.ctx.requests

    def count(self, low: datetime | None, high: datetime | None) -> int:
        client = self.ctx.client
        return self.ask(
            lambda: client.count_issues(self.project, group=self.group, since=low, until=high)
        )

    def run(self) -> None:
        held_total = self.held().count()
        # Never more than listing everything would cost, and that much when it takes that.
        self.budget = max(MAX_REQUESTS, self.pages(held_total) + 10)
        ranges: list[tuple[datetime | None, datetime | None, int, int]] = [
            (None, None, self.count(None, None), held_total)
        ]
        missing: list[tuple[str, int]] = []
        while ranges:
            low, high, upstream, held = ranges.pop()
            if upstream == held:
                continue
            middle = self.middle(low, high, held, differ=abs(upstream - held))
            if middle is None:
                missing += self.list_range(low, high)
                continue
            upstream_low = self.count(low, middle)
            held_low = self.held(low, middle).count()
            ranges.append((middle, high, upstream - upstream_low, held - held_low))
            ranges.append((low, middle, upstream_low, held_low))
        confirm(self.ctx, missing)

    def middle(
        self, low: datetime | None, high: datetime | None, held: int, *, differ: int
    ) -> datetime | None:
        """A whole second that cuts the held issues of [low, high) about in half, or None when
        listing them costs less than finding `differ` (at least) issues by halving, or when
        they cannot be cut."""
        if held <= RANGE_LISTED:
            return None
        pages = self.pages(held)
        if pages <= differ * (math.log2(pages) + 1):
            return None
        times = self.held(low, high).order_by("updated_at").values_list("updated_at", flat=True)
        middle = _second(times[held // 2])
        if low is not None and middle <= low:
            middle = low + timedelta(seconds=1)
        if high is not None and middle >= high:
            return None
        return middle

    def list_range(self, low: datetime | None, high: datetime | None) -> list[tuple[str, int]]:
        """List [low, high) whole, store what it returns; the held keys it did not return.

        A short rate limit is waited out and the listing goes on after its last page."""
        held = set(self.held(low, high).values_list("project", "number"))
        request = ListingRequest(project=self.project, group=self.group, since=low, until=high)
        listed: dict[tuple[str, int], RemoteIssue] = {}
        done = False
        while not done:
            try:
                for page in self.ctx.client.iter_pages(request):
                    listed.update(((i.project_path, i.number), i) for i in page.issues)
                    request = replace(request, resume=page.position)
                    if page.last:
                        break
                    self.spend()
                done = True
            except RateLimited as exc:
                self.spend()
                self.ctx.patience.absorb(exc)
        self.spend_quietly()
        with transaction.atomic():
            upsert(self.ctx, listed.values())
        return sorted(held - set(listed))

    def spend(self) -> None:
        """Take what the listing sent so far from the budget; stop when it is spent."""
        sent = self.ctx.requests - self._mark
        self._mark = self.ctx.requests
        self.requests += sent
        if self.requests >= self.budget:
            raise _Spent


def census(ctx: SyncContext) -> None:
    """Compare the tracker's counts with what is held and reconcile the ranges that differ."""
    try:
        Census(ctx).run()
    except _Spent:
        ctx.counts.skip(
            "deletion check", "stopped at its request budget; it goes on at the next run"
        )
    except TrackerError as exc:
        # The listing is complete and stored; only the comparison is missing this time.
        ctx.counts.skip("deletion check", f"not done this run: {type(exc).__name__}: {exc}")
    if ctx.anonymous:
        hidden = ctx.held().filter(removed=False, confidential=True).count()
        if hidden:
            ctx.counts.skip("confidential issues", "not visible without the token: kept", hidden)


def confirm(ctx: SyncContext, missing: list[tuple[str, int]]) -> None:
    """Ask the tracker for each held issue a listing missed: gone, moved, or still there."""
    client = ctx.client
    for project, number in missing[:CONFIRM_LIMIT]:
        try:
            remote = ctx.call(functools.partial(client.get_issue, project, number))
        except TrackerNotFound:
            with transaction.atomic():
                mark_removed(ctx, _one(ctx, project, number))
            continue
        with transaction.atomic():
            store_fetched(ctx, remote, project=project, number=number)
    if len(missing) > CONFIRM_LIMIT:
        ctx.counts.skip(
            "missing issues",
            f"not listed any more; confirmed at the next runs ({CONFIRM_LIMIT} per run)",
            len(missing) - CONFIRM_LIMIT,
        )


def _one(ctx: SyncContext, project: str, number: int) -> QuerySet[TrackedIssue]:
    return ctx.held().filter(project=project, number=number)
