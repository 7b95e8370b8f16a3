"""Seek paging: list an updated_at-ascending listing without ever skipping an issue.

Offset paging (`page=N`) skips an issue whenever one on an earlier page is updated (it moves to
the end and everything after it moves up a place) or deleted during the listing. Seek paging
asks every page afresh from the highest `updated_at` seen so far (`since`/`updated_after` are
inclusive): an issue updated meanwhile is found again further on, a deleted one shifts nothing,
and the position to resume from is one timestamp. The issues sharing that timestamp come again
at the start of the next page; they are recognised and dropped. When more issues than a page
share one timestamp, the next page is asked by offset within it.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from trackers.clients.base import parse_time


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()


@dataclass(slots=True)
class Seek:
    """Where a seek listing stands: the anchor time, the offset page within it, what it saw."""

    per_page: int
    after: datetime | None
    offset_page: int = 1
    high: datetime | None = None
    pages: int = 0
    # Keys of the issues seen at exactly `after`: they come again and are dropped.
    at_after: set[Hashable] = field(default_factory=set)

    @classmethod
    def start(
        cls, since: datetime | None, resume: Mapping[str, Any] | None, *, per_page: int
    ) -> Seek:
        if not resume:
            return cls(per_page=per_page, after=since)
        return cls(
            per_page=per_page,
            after=parse_time(resume.get("after")) or since,
            offset_page=max(1, int(resume.get("offset_page", 1))),
            high=parse_time(resume.get("high")),
            pages=max(0, int(resume.get("pages", 0))),
            at_after={_key(k) for k in resume.get("at_after", [])},
        )

    def fresh(self, key: Hashable, updated_at: datetime) -> bool:
        """False for an issue this listing already read with this very update time."""
        return not (updated_at == self.after and key in self.at_after)

    def advance(self, items: Sequence[tuple[Hashable, datetime]]) -> None:
        """Move past a page holding these (key, updated_at) items."""
        self.pages += 1
        page_max = max((when for _, when in items), default=None)
        if page_max is None:
            return
        if self.high is None or page_max > self.high:
            self.high = page_max
        at_max = {key for key, when in items if when == page_max}
        if self.after is None or page_max > self.after:
            self.after, self.at_after = page_max, at_max
        else:
            self.at_after |= at_max
        # Asked from `after`, the listing starts with the issues at `after`: skip whole pages
        # of those already read (a partial page of them is dropped as it comes).
        self.offset_page = len(self.at_after) // max(1, self.per_page) + 1

    def position(self) -> dict[str, Any]:
        return {
            "after": _iso(self.after),
            "offset_page": self.offset_page,
            "high": _iso(self.high),
            "pages": self.pages,
            "at_after": sorted((_plain(k) for k in self.at_after), key=str),
        }

    def cursor(self, since: datetime | None) -> datetime | None:
        """The next listing's start: the highest time seen, never before `since`."""
        if self.high is None:
            return since
        return self.high if since is None or self.high > since else since


def _plain(key: Hashable) -> Any:
    return list(key) if isinstance(key, tuple) else key


def _key(value: Any) -> Hashable:
    return tuple(value) if isinstance(value, list) else value
