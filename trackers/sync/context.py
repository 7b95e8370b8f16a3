"""What the stages of one run share: the source, its run row, the client, the counts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from django.db.models import QuerySet

from trackers.clients.base import TrackerClient
from trackers.models import SyncRun, TrackedIssue, TrackerSource
from trackers.sync.budget import Patience
from trackers.sync.ledger import Counts

T = TypeVar("T")


@dataclass(frozen=True)
class Progress:
    """Where a listing stands after a stored page (for `sync_trackers` and the pages)."""

    source: str
    page: int
    pages_total: int | None
    issues: int
    requests: int
    rate_limit_remaining: int | None
    waited: float


@dataclass
class SyncContext:
    """One run of one source, as the stages see it."""

    source: TrackerSource
    run: SyncRun
    client: TrackerClient
    # The source names a token but its variable is unset: confidential issues are not listed.
    anonymous: bool
    counts: Counts = field(default_factory=Counts)
    patience: Patience = field(default_factory=Patience)
    on_progress: Callable[[Progress], None] | None = None
    started: datetime | None = None

    @property
    def requests(self) -> int:
        return self.client.requests_made

    def held(self) -> QuerySet[TrackedIssue]:
        return TrackedIssue.objects.filter(source=self.source)

    def call(self, call: Callable[[], T]) -> T:
        """One request to the tracker, waiting out short rate limits."""
        return self.patience.call(call)
