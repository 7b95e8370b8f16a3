"""Dataclasses, exceptions and field validation shared by the tracker clients.

Cursor contract, the same for every tracker: the listing filters are inclusive ("updated at or
after `since`"), so pass the last `FetchResult.cursor` back as `since` unchanged, and upsert on
(tracker, project_path, number). Issues whose updated_at equals the cursor come back once more,
which is what keeps issues with equal timestamps at a page boundary from being lost. When the
listing shifted under the client (an issue was updated, deleted or created while it paged), the
cursor is held back to a point that still covers the issues the shift may have skipped. Services
may overlap further (`since_with_overlap`) to absorb the tracker's commit lag.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

TrackerKind = Literal["gitlab", "github", "forgejo"]

DEFAULT_RATE_LIMIT_WAIT = 60.0


class TrackerError(Exception):
    """Base of every error a tracker client raises; also an unexpected HTTP status."""


class TrackerUnavailable(TrackerError):
    """The tracker could not be reached, or kept answering 5xx after the retries."""


class RateLimited(TrackerError):
    """The tracker refused the request for rate limiting; retry after `retry_after_seconds`."""

    def __init__(self, retry_after_seconds: float, message: str = "") -> None:
        self.retry_after_seconds = max(0.0, float(retry_after_seconds))
        super().__init__(message or f"rate limited; retry after {self.retry_after_seconds:.0f} s")

    @property
    def retry_after(self) -> float:
        """What the task base (fedimage.core.tasks) honours when it retries."""
        return self.retry_after_seconds


class TrackerGarbage(TrackerError):
    """The tracker answered 2xx with something that is not the expected JSON."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class TrackerAuthError(TrackerError):
    """The tracker rejected the credentials (401, or 403 that is not a rate limit)."""


class TrackerNotFound(TrackerError):
    """The project or issue does not exist, or is not visible with these credentials."""


@dataclass(frozen=True, slots=True)
class RemoteIssue:
    """One issue as a tracker reports it, normalised across trackers."""

    tracker: TrackerKind
    project_path: str
    number: int
    title: str
    body: str
    state: Literal["open", "closed"]
    labels: tuple[str, ...]
    milestone: str | None
    assignees: tuple[str, ...]
    author: str | None
    web_url: str
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    confidential: bool = False
    # GitLab gives only the new issue's global id ("gitlab-id:<id>"); the others never set it.
    moved_to: str | None = None
    remote_id: int | None = None


@dataclass(frozen=True, slots=True)
class BoardColumn:
    """A label list of a GitLab issue board, in board order."""

    label: str
    position: int
    list_id: int


@dataclass(frozen=True, slots=True)
class Board:
    """A GitLab issue board; "Open" and "Closed" are implicit, not columns."""

    id: int
    name: str
    columns: tuple[BoardColumn, ...]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of an issue listing.

    `cursor` is safe to persist once this page is stored: None when the tracker's order does
    not allow resuming mid-listing (Forgejo lists newest first) or when nothing was seen yet.
    `requests` counts the HTTP requests of the whole listing so far, retries included.
    """

    issues: tuple[RemoteIssue, ...]
    number: int
    cursor: datetime | None
    requests: int
    skipped_pull_requests: int = 0
    rate_limit_remaining: int | None = None
    rate_limit_reset: datetime | None = None
    etag: str | None = None
    not_modified: bool = False
    last: bool = False


@dataclass(frozen=True, slots=True)
class FetchResult:
    """A complete issue listing: what changed since the cursor and what it cost."""

    issues: tuple[RemoteIssue, ...]
    cursor: datetime | None
    requests: int
    pages: int
    skipped_pull_requests: int = 0
    rate_limit_remaining: int | None = None
    rate_limit_reset: datetime | None = None
    etag: str | None = None
    not_modified: bool = False

    @classmethod
    def from_pages(cls, pages: Iterable[Page], *, since: datetime | None) -> FetchResult:
        """Collect pages into one result; the cursor never goes back before `since`."""
        issues: list[RemoteIssue] = []
        last: Page | None = None
        count = skipped = 0
        etag: str | None = None
        for page in pages:
            issues.extend(page.issues)
            skipped += page.skipped_pull_requests
            count += 1
            if page.number == 1:
                etag = page.etag
            last = page
        if last is None:  # pragma: no cover - every listing yields at least one page
            raise TrackerError("listing yielded no page")
        cursor = last.cursor
        if since is not None and (cursor is None or cursor < since):
            cursor = since
        return cls(
            issues=tuple(issues),
            cursor=cursor,
            requests=last.requests,
            pages=count,
            skipped_pull_requests=skipped,
            rate_limit_remaining=last.rate_limit_remaining,
            rate_limit_reset=last.rate_limit_reset,
            etag=etag,
            not_modified=last.not_modified,
        )


def since_with_overlap(cursor: datetime | None, overlap: timedelta) -> datetime | None:
    """Move a stored cursor back by `overlap`, to re-read issues committed late by the tracker."""
    return None if cursor is None else cursor - overlap


class CursorTracker:
    """Compute a safe cursor over an offset-paginated listing sorted by updated_at ascending.

    An issue updated or deleted while the client pages shifts later issues one place up, so one
    of them can fall between two pages. Every such issue sits after the page where the shift was
    noticed, so its updated_at is at least that page's highest one: hold the cursor there.
    A shift shows as an issue seen twice (updated, it moved to the end) or a total that changed.
    """

    def __init__(self) -> None:
        self._first_page_of: dict[Any, int] = {}
        self._max_by_page: list[datetime | None] = []
        self._limit_page: int | None = None
        self._total: int | None = None

    def add_page(self, items: Iterable[tuple[Any, datetime]], total: int | None = None) -> None:
        page = len(self._max_by_page)
        if total is not None and self._total is not None and total != self._total:
            self._hold(page - 1)
        if total is not None:
            self._total = total
        highest = self._max_by_page[-1] if self._max_by_page else None
        for key, updated_at in items:
            seen = self._first_page_of.setdefault(key, page)
            if seen != page:
                self._hold(seen)
            if highest is None or updated_at > highest:
                highest = updated_at
        self._max_by_page.append(highest)

    def _hold(self, page: int) -> None:
        if self._limit_page is None or page < self._limit_page:
            self._limit_page = page

    @property
    def shifted(self) -> bool:
        return self._limit_page is not None

    @property
    def cursor(self) -> datetime | None:
        if not self._max_by_page:
            return None
        if self._limit_page is None:
            return self._max_by_page[-1]
        if self._limit_page < 0:
            return None
        return self._max_by_page[self._limit_page]


def format_since(since: datetime) -> str:
    """Format an aware datetime as the ISO 8601 UTC string every tracker accepts."""
    if since.tzinfo is None or since.utcoffset() is None:
        raise ValueError("since must be an aware datetime")
    return since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def retry_after_from_headers(
    headers: Mapping[str, str],
    *,
    reset_header: str,
    default: float = DEFAULT_RATE_LIMIT_WAIT,
    now: float | None = None,
) -> float:
    """Seconds to wait: Retry-After (seconds or HTTP date), else the reset epoch, else default."""
    now = time.time() if now is None else now
    value = headers.get("retry-after")
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None and when.tzinfo is not None:
            return max(0.0, when.timestamp() - now)
    reset = headers.get(reset_header)
    if reset and reset.strip().isdigit():
        return max(1.0, float(reset) - now)
    return default


def without_nul(value: str) -> str:
    """Drop NUL characters: PostgreSQL text and jsonb cannot hold them, so one would fail a page."""
    return value.replace("\x00", "")


def int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None or not value.strip().isdigit():
        return None
    return int(value)


def epoch_header(headers: Mapping[str, str], name: str) -> datetime | None:
    value = int_header(headers, name)
    return None if value is None else datetime.fromtimestamp(value, tz=UTC)


@dataclass(slots=True)
class Fields:
    """Typed access to one JSON object of a tracker answer; any mismatch is TrackerGarbage."""

    data: Any
    what: str

    def __post_init__(self) -> None:
        if not isinstance(self.data, dict):
            raise TrackerGarbage(f"{self.what}: expected an object, got {type(self.data).__name__}")

    def _get(self, key: str, *, optional: bool) -> Any:
        if key not in self.data:
            if optional:
                return None
            raise TrackerGarbage(f"{self.what}: missing field {key!r}")
        return self.data[key]

    def _bad(self, key: str, expected: str, value: Any) -> TrackerGarbage:
        return TrackerGarbage(
            f"{self.what}: field {key!r} is {type(value).__name__}, not {expected}"
        )

    def integer(self, key: str) -> int:
        value = self._get(key, optional=False)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._bad(key, "int", value)
        return value

    def opt_integer(self, key: str) -> int | None:
        value = self._get(key, optional=True)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._bad(key, "int", value)
        return value

    def text(self, key: str) -> str:
        value = self._get(key, optional=False)
        if not isinstance(value, str):
            raise self._bad(key, "str", value)
        return without_nul(value)

    def opt_text(self, key: str) -> str | None:
        value = self._get(key, optional=True)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self._bad(key, "str", value)
        return without_nul(value)

    def flag(self, key: str, *, default: bool | None = None) -> bool:
        value = self._get(key, optional=default is not None)
        if value is None and default is not None:
            return default
        if not isinstance(value, bool):
            raise self._bad(key, "bool", value)
        return value

    def time(self, key: str) -> datetime:
        value = self.opt_time(key)
        if value is None:
            raise TrackerGarbage(f"{self.what}: field {key!r} is missing or null")
        return value

    def opt_time(self, key: str) -> datetime | None:
        value = self.opt_text(key)
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise TrackerGarbage(f"{self.what}: field {key!r} is not an ISO 8601 time") from None
        if parsed.tzinfo is None:
            raise TrackerGarbage(f"{self.what}: field {key!r} has no time zone")
        return parsed

    def obj(self, key: str) -> Fields:
        value = self._get(key, optional=False)
        return Fields(value, f"{self.what}.{key}")

    def opt_obj(self, key: str) -> Fields | None:
        value = self._get(key, optional=True)
        return None if value is None else Fields(value, f"{self.what}.{key}")

    def array(self, key: str, *, null_is_empty: bool = False) -> list[Any]:
        value = self._get(key, optional=null_is_empty)
        if value is None and null_is_empty:
            return []
        if not isinstance(value, list):
            raise self._bad(key, "list", value)
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        values = self.array(key)
        if not all(isinstance(v, str) for v in values):
            raise TrackerGarbage(f"{self.what}: field {key!r} holds a non-string")
        return tuple(without_nul(v) for v in values)

    def names(self, key: str, attr: str, *, null_is_empty: bool = False) -> tuple[str, ...]:
        """Read `attr` of every object in the list `key` ([{name: ...}, ...])."""
        return tuple(
            Fields(item, f"{self.what}.{key}[{i}]").text(attr)
            for i, item in enumerate(self.array(key, null_is_empty=null_is_empty))
        )

    def has(self, key: str) -> bool:
        return key in self.data and self.data[key] is not None


def map_github_shaped_issue(
    item: Any, repo: str, *, tracker: TrackerKind, name: str, null_labels: bool
) -> RemoteIssue:
    """Map an issue in GitHub's shape (which Forgejo/Gitea copies) onto RemoteIssue.

    Every field used is validated; `null_labels` accepts "labels": null as no labels.
    """
    f = Fields(item, f"{name} issue of {repo}")
    number = f.integer("number")
    f.what = f"{name} issue {repo}#{number}"
    state = f.text("state")
    if state not in ("open", "closed"):
        raise TrackerGarbage(f"{f.what}: unknown state {state!r}")
    milestone = f.opt_obj("milestone")
    user = f.opt_obj("user")
    return RemoteIssue(
        tracker=tracker,
        project_path=repo,
        number=number,
        title=f.text("title"),
        body=f.opt_text("body") or "",
        state="open" if state == "open" else "closed",
        labels=f.names("labels", "name", null_is_empty=null_labels),
        milestone=milestone.text("title") if milestone else None,
        # "assignees": null rather than [] when nobody is assigned (Gitea; GitHub at times).
        assignees=f.names("assignees", "login", null_is_empty=True),
        author=user.text("login") if user else None,
        web_url=f.text("html_url"),
        created_at=f.time("created_at"),
        updated_at=f.time("updated_at"),
        closed_at=f.opt_time("closed_at"),
        remote_id=f.integer("id"),
    )
