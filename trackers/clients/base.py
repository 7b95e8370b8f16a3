"""What every tracker client speaks: the client protocol, its requests, pages and errors.

A client speaks HTTP to one tracker and hands back these dataclasses, never the ORM. It never
sleeps and never retries: a failed request raises at once, a rate limit raises `RateLimited`
carrying the wait the tracker asked for, and the caller decides (the sync waits out a short one,
the task layer retries the rest). Before each request the client asks the shared `RateBudget`,
after each answer it tells it what the rate-limit headers said.

Listings resume: every `Page` carries a `position`; a new `iter_pages` call with
`ListingRequest(resume=page.position)` continues after that page, in this process or the next.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Literal, Protocol, Self

TrackerKind = Literal["gitlab", "github", "forgejo"]


class TrackerError(Exception):
    """Base of every error a tracker client raises; also an unexpected HTTP status.

    `retry_after` (seconds) is set on the errors worth retrying after a known wait; the task
    layer honours it.
    """

    retry_after: float | None = None


class TrackerUnavailable(TrackerError):
    """The tracker could not be reached, or answered 5xx: worth retrying later."""


class RateLimited(TrackerError):
    """The tracker refused the request for rate limiting, or the shared budget is spent.

    `retry_after` is the wait in seconds the tracker asked for (Retry-After, else its reset
    time). `sent` says whether a request went out (a 429) or the budget stopped it first.
    """

    retry_after: float

    def __init__(self, retry_after: float, message: str = "", *, sent: bool = True) -> None:
        self.retry_after = max(0.0, float(retry_after))
        self.sent = sent
        self.message = message or f"rate limited; retry after {self.retry_after:.0f} s"
        super().__init__(self.message)

    def __reduce__(self) -> tuple[Any, ...]:
        # Celery pickles the exception of a retried task; the default would call cls(message).
        return (type(self), (self.retry_after, self.message), {"sent": self.sent})

    def __setstate__(self, state: dict[str, Any] | None) -> None:
        self.__dict__.update(state or {})


class TrackerGarbage(TrackerError):
    """The tracker answered 2xx with something that is not the expected JSON."""


class TrackerAuthError(TrackerError):
    """The tracker rejected the credentials (401, or 403 that is not a rate limit)."""


class TrackerNotFound(TrackerError):
    """The project or issue does not exist, or is not visible with these credentials."""


class ListingRefused(TrackerError):
    """The tracker refuses this way of paging (keyset not offered, offset past its limit)."""


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
    # Forgejo: migrated from another forge; `author` is the original author there.
    author_migrated: bool = False


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
class ListingRequest:
    """What to list: the issues of `project` updated in [since, until), every state.

    `resume` is the `position` of the last page stored by an earlier attempt of the same
    listing; `etag` the first page's ETag from the last listing with the same `since`.
    """

    project: str
    group: bool = False
    since: datetime | None = None
    until: datetime | None = None
    etag: str | None = None
    resume: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a listing.

    `position` (JSON-able) resumes the listing after this page. `cursor` is where the next
    listing starts when this page is the last (every issue updated before it was listed).
    `number` counts pages across resumes; `pages_total` is the listing's page count when the
    tracker tells it (an estimate while others write).
    """

    issues: tuple[RemoteIssue, ...]
    number: int
    position: Mapping[str, Any]
    cursor: datetime | None
    last: bool
    pages_total: int | None = None
    skipped_pull_requests: int = 0
    etag: str | None = None
    not_modified: bool = False
    rate_limit_remaining: int | None = None


class RateBudget(Protocol):
    """The rate budget shared by every run against one tracker with one token."""

    def acquire(self, resource: str) -> None:
        """Take one request from the budget, or raise RateLimited(sent=False) when the tracker
        asked to wait or the budget it announced is spent until its reset."""

    def record(
        self,
        resource: str,
        *,
        remaining: int | None,
        reset_at: datetime | None,
        retry_after: float | None,
    ) -> None:
        """Note what an answer's rate-limit headers said (retry_after: it was refused)."""


@dataclass
class NoBudget:
    """A budget that never stops a request and keeps the last announced remaining count."""

    remaining: dict[str, int | None] = field(default_factory=dict)

    def acquire(self, resource: str) -> None:
        return None

    def record(
        self,
        resource: str,
        *,
        remaining: int | None,
        reset_at: datetime | None,
        retry_after: float | None,
    ) -> None:
        self.remaining[resource] = remaining


class TrackerClient(Protocol):
    """The protocol every tracker client implements (registered by kind in `registry`)."""

    kind: ClassVar[str]
    supports_boards: ClassVar[bool]
    base_url: str
    authenticated: bool

    @property
    def requests_made(self) -> int:
        """HTTP requests sent so far (a request the budget stopped is not one)."""

    def iter_pages(self, request: ListingRequest) -> Iterator[Page]:
        """Yield the listing page by page, oldest first where the tracker allows."""

    def count_issues(
        self, project: str, *, group: bool, since: datetime | None, until: datetime | None
    ) -> int:
        """How many issues (every state) were updated in [since, until), asked of the tracker."""

    def get_issue(self, project: str, number: int) -> RemoteIssue:
        """Fetch one issue; TrackerNotFound when it is gone."""

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc_info: object) -> None: ...


class BoardReader(Protocol):
    """The optional part of the protocol, for clients with `supports_boards`."""

    def boards(self, project: str, *, group: bool) -> tuple[Board, ...]:
        """The project's (group's) issue boards with their label lists, in order."""


# Times on the wire


def as_utc(when: datetime) -> datetime:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("expected an aware datetime")
    return when.astimezone(UTC)


def format_time(when: datetime, *, millis: bool = False) -> str:
    """Format an aware datetime as the ISO 8601 UTC string every tracker accepts."""
    utc = as_utc(when)
    if millis:
        return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def last_second_before(until: datetime) -> datetime:
    """The inclusive upper bound, in whole seconds, of times before `until` (a whole second)."""
    return as_utc(until).replace(microsecond=0) - timedelta(seconds=1)


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None or not value.strip().isdigit():
        return None
    return int(value)


def epoch_header(headers: Mapping[str, str], name: str) -> datetime | None:
    value = int_header(headers, name)
    return None if value is None else datetime.fromtimestamp(value, tz=UTC)


def pages_for(items: int | None, per_page: int) -> int | None:
    return None if items is None else max(1, -(-items // max(1, per_page)))
