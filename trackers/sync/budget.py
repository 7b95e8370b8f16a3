"""The rate budget shared by every run against one tracker with one token, and patience.

Each answer's rate-limit headers are written here (remaining requests, the reset time, or a
refusal's Retry-After), and every request first takes one from here, across processes: so two
workers, a webhook fetch and `sync_trackers` by hand share what the tracker allows, and none of
them sends a request the headers said would be refused. The rows live in the database, which
every process of fedimage reaches (also without Redis).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from trackers.clients.base import RateLimited
from trackers.models import RateBudget

T = TypeVar("T")


def budget_key(*, kind: str, base_url: str, token: str | None) -> str:
    """Name the budget of one tracker and token without holding the token."""
    material = f"{kind}\n{base_url.rstrip('/')}\n{token or 'anonymous'}"
    return hashlib.sha256(material.encode()).hexdigest()


class SharedBudget:
    """A RateBudget kept in the database under `key` (trackers.clients.base.RateBudget)."""

    def __init__(self, key: str, *, reserve: int | None = None) -> None:
        self.key = key
        # Requests kept back from the announced budget, for the people who share the token.
        self.reserve = reserve if reserve is not None else settings.TRACKERS_RATE_RESERVE

    def acquire(self, resource: str) -> None:
        now = timezone.now()
        row = RateBudget.objects.filter(key=self.key, resource=resource).first()
        if row is None:
            return
        if row.blocked_until is not None and row.blocked_until > now:
            wait = (row.blocked_until - now).total_seconds()
            raise RateLimited(
                wait, f"the tracker asked to wait until {row.blocked_until:%H:%M:%S}", sent=False
            )
        if row.remaining is None or row.reset_at is None or row.reset_at <= now:
            return
        taken = RateBudget.objects.filter(pk=row.pk, remaining__gt=self.reserve).update(
            remaining=F("remaining") - 1
        )
        if not taken:
            wait = max(1.0, (row.reset_at - now).total_seconds())
            raise RateLimited(
                wait,
                f"rate budget spent ({row.remaining} left, {self.reserve} kept back) "
                f"until {row.reset_at:%H:%M:%S}",
                sent=False,
            )

    def record(
        self,
        resource: str,
        *,
        remaining: int | None,
        reset_at: datetime | None,
        retry_after: float | None,
    ) -> None:
        if remaining is None and retry_after is None:
            return
        now = timezone.now()
        for _ in range(2):  # a concurrent first insert: the second pass updates it
            try:
                with transaction.atomic():
                    row, _ = RateBudget.objects.select_for_update().get_or_create(
                        key=self.key, resource=resource
                    )
                    self._apply(row, now, remaining, reset_at, retry_after)
                    row.save()
                return
            except IntegrityError:
                continue

    @staticmethod
    def _apply(
        row: RateBudget,
        now: datetime,
        remaining: int | None,
        reset_at: datetime | None,
        retry_after: float | None,
    ) -> None:
        if remaining is not None:
            same_window = (
                reset_at is not None
                and row.reset_at is not None
                and row.remaining is not None
                and abs((reset_at - row.reset_at).total_seconds()) < 2
            )
            # Answers can arrive out of order within a window: the lowest count is the truth.
            if same_window and row.remaining is not None:
                row.remaining = min(row.remaining, remaining)
            else:
                row.remaining = remaining
            row.reset_at = reset_at if not same_window else row.reset_at
        if retry_after is not None:
            until = now + timedelta(seconds=retry_after)
            if row.blocked_until is None or until > row.blocked_until:
                row.blocked_until = until


class Patience:
    """Wait out the short rate limits of one run; a long one (or too many) goes up the stack.

    A Retry-After up to `TRACKERS_RATE_WAIT_MAX_SECONDS` is waited inside the run, within a
    total of `TRACKERS_RATE_WAIT_TOTAL_SECONDS` per run; a longer one is raised, so the source
    pauses and the task layer retries when the tracker said.
    """

    def __init__(self, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.sleep = sleep
        self.waited = 0.0
        self.waits = 0

    def absorb(self, exc: RateLimited) -> None:
        """Wait as `exc` asks if it is short enough, else re-raise it."""
        longest = settings.TRACKERS_RATE_WAIT_MAX_SECONDS
        total = settings.TRACKERS_RATE_WAIT_TOTAL_SECONDS
        if exc.retry_after > longest or self.waited + exc.retry_after > total or self.waits >= 1000:
            raise exc
        self.waits += 1
        self.waited += exc.retry_after
        # A refusal says "not before": a hair more than asked, never less.
        self.sleep(exc.retry_after + 0.05)

    def call(self, call: Callable[[], T]) -> T:
        """Run a single-request call, waiting out short rate limits in between."""
        while True:
            try:
                return call()
            except RateLimited as exc:
                self.absorb(exc)
