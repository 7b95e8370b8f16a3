"""A source's listing status in words, glyph and colour: the one mapping pages, API and
`sync_trackers` share.

The status is the outcome of listings only (webhook runs are in the ledger, not here):
"listing failing since 10:02, paused until 10:40 (in 12 minutes), resuming at page 13 of 100".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from fedimage.core.durations import duration_words
from trackers.models import IssueState, TrackerSource

# state: (label, glyph, CSS class of its badge)
STATES: dict[str, tuple[str, str, str]] = {
    "ok": ("up to date", "✓", "status-done"),
    "resuming": ("listing part-way", "↻", "status-on_track"),
    "paused": ("paused by a rate limit", "‖", "status-at_risk"),
    "failing": ("failing", "✗", "status-blocked"),
    "never": ("not synced yet", "…", ""),
    "disabled": ("disabled", "-", ""),
}


@dataclass(frozen=True)
class SourceStatus:
    """Where a source's listings stand."""

    state: str
    text: str
    failing_since: datetime | None
    paused_until: datetime | None
    resume_page: int | None
    pages_total: int | None

    @property
    def label(self) -> str:
        return STATES[self.state][0]

    @property
    def glyph(self) -> str:
        return STATES[self.state][1]

    @property
    def css(self) -> str:
        return STATES[self.state][2]


def _when(moment: datetime, now: datetime) -> str:
    local = timezone.localtime(moment)
    if abs((now - moment).total_seconds()) < 20 * 3600:
        return f"{local:%H:%M}"
    return f"{local:%Y-%m-%d %H:%M}"


def source_status(source: TrackerSource, *, now: datetime | None = None) -> SourceStatus:
    """Say where the source's listings stand, from its own fields (no query)."""
    now = now or timezone.now()
    listing = source.listing or {}
    resume_page = int(listing["page"]) + 1 if listing.get("position") else None
    pages_total = listing.get("pages_total") if resume_page else None
    paused = source.paused_until if source.is_paused(now) else None
    parts: list[str] = []
    if source.failing_since is not None:
        parts.append(f"listing failing since {_when(source.failing_since, now)}")
    if paused is not None:
        parts.append(f"paused until {_when(paused, now)} (in {duration_words(paused - now)})")
    if resume_page is not None:
        where = f"page {resume_page}"
        if pages_total and pages_total >= resume_page:
            where += f" of {pages_total}"
        parts.append(f"resuming at {where}")
    if not source.enabled:
        state = "disabled"
    elif paused is not None:
        state = "paused"
    elif source.failing_since is not None:
        state = "failing"
    elif resume_page is not None:
        state = "resuming"
    elif source.last_success_at is None:
        state = "never"
    else:
        state = "ok"
    if not parts:
        if source.last_success_at is not None:
            parts.append(f"last listing {duration_words(now - source.last_success_at)} ago")
        else:
            parts.append("no listing has completed yet")
    text = ", ".join(parts)
    return SourceStatus(
        state=state,
        text=text[0].upper() + text[1:],
        failing_since=source.failing_since,
        paused_until=paused,
        resume_page=resume_page,
        pages_total=pages_total,
    )


# A run's status: (glyph, CSS class of its badge); the label is RunStatus's own.
RUN_BADGES: dict[str, tuple[str, str]] = {
    "queued": ("⋯", "status-on_track"),
    "running": ("↻", "status-on_track"),
    "ok": ("✓", "status-done"),
    "not_modified": ("✓", "status-done"),
    "failed": ("✗", "status-blocked"),
    "interrupted": ("✗", "status-blocked"),
}

# A tracked issue's state: (glyph, CSS class of its badge); the label is IssueState's own.
ISSUE_BADGES: dict[str, tuple[str, str]] = {
    IssueState.OPEN: ("○", "status-on_track"),
    IssueState.CLOSED: ("✓", "status-done"),
}
