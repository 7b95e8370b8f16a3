"""The threaded HTTP server, issue store, fault injection and request log the fakes share."""

from __future__ import annotations

import email.utils
import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Self
from urllib.parse import parse_qs, urlencode, urlsplit

EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

HTML_ERROR_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>Bad Gateway</h1><p>The upstream did not answer.</p></body></html>\n"
)


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the fake received it; header names are lower-case."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None


@dataclass(slots=True)
class Response:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    content_type: str = "application/json"
    # Set on list answers that have a next page: the between-pages hook runs after them.
    page: int | None = None
    has_next: bool = False


@dataclass(frozen=True, slots=True)
class Fault:
    """A wrong answer the fake gives instead of (or made from) the real one."""

    kind: Literal["status", "rate_limit", "html", "truncated", "wrong_type"]
    status: int = 500
    retry_after: int | None = None
    reset_in: int | None = None
    field: str = "title"
    value: Any = 12345

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        return cls("status", status=status)

    @classmethod
    def rate_limited(
        cls, *, status: int = 429, retry_after: int | None = None, reset_in: int | None = None
    ) -> Fault:
        """429 (or 403 on GitHub) with Retry-After and/or the tracker's reset header."""
        return cls("rate_limit", status=status, retry_after=retry_after, reset_in=reset_in)

    @classmethod
    def html_page(cls, status: int = 200) -> Fault:
        """A proxy's HTML page instead of JSON, with the given status."""
        return cls("html", status=status)

    @classmethod
    def truncated_json(cls) -> Fault:
        """The real answer cut in half, with a Content-Length that matches the cut body."""
        return cls("truncated")

    @classmethod
    def wrong_type(cls, field: str = "title", value: Any = 12345) -> Fault:
        """The real answer with `field` of its first issue replaced by `value`."""
        return cls("wrong_type", field=field, value=value)


@dataclass(slots=True)
class RateWindow:
    """A tracker's announced request budget: `limit` requests per `window` seconds of real time.

    Every counted answer spends one; at zero the tracker refuses until the window resets. The
    answers tell `remaining` and the `reset` epoch, as the real rate-limit headers do.
    """

    limit: int
    window: float = 3600.0
    remaining: int = 0
    reset: float = 0.0
    refused: int = 0  # requests refused because the budget was spent

    def __post_init__(self) -> None:
        self.remaining = self.limit
        self.reset = time.time() + self.window

    def roll(self) -> None:
        now = time.time()
        if now >= self.reset:
            self.remaining = self.limit
            self.reset = now + self.window

    def take(self) -> bool:
        """Spend one request; False (and counted as refused) when none is left."""
        self.roll()
        if self.remaining <= 0:
            self.refused += 1
            return False
        self.remaining -= 1
        return True

    @property
    def reset_epoch(self) -> int:
        return int(-(-self.reset // 1))

    def wait(self) -> int:
        return max(1, self.reset_epoch - int(time.time()))


@dataclass(slots=True)
class FakeIssue:
    """Tracker-neutral state of one issue (or pull request); each fake renders its wire shape."""

    project: str
    number: int
    id: int
    title: str
    body: str
    state: Literal["open", "closed"]
    labels: list[str]
    milestone: str | None
    assignees: list[str]
    author: str
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    confidential: bool = False
    moved_to_id: int | None = None
    state_reason: str | None = None
    is_pull_request: bool = False
    # Forgejo: an issue migrated from another forge names its author there.
    original_author: str = ""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 5  # drop idle keep-alive connections so the server thread can end
    # Headers and body in one segment: split writes meet the client's delayed ACK (40 ms each).
    wbufsize = 1 << 16
    disable_nagle_algorithm = True
    server: _Server
    fake_date: str | None = None

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The Date header tells the fake clock, the one issue times come from.
        return self.fake_date or super().date_time_string(timestamp)

    def do_GET(self) -> None:
        self.server.fake._dispatch(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, fake: FakeTracker) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)


class FakeTracker:
    """Base of the fakes: start/stop, the issue store, the request log and the fault queue."""

    user_field = "login"

    def __init__(self, *, token: str | None = None) -> None:
        self.token = token
        self.lock = threading.RLock()
        self.requests: list[RecordedRequest] = []
        self.issues: dict[tuple[str, int], FakeIssue] = {}
        self.projects: set[str] = set()
        self._next_number: dict[str, int] = {}
        self._between_pages: Callable[[int], None] | None = None
        self.pages_answered = 0
        # Runs before every request is answered (a concurrent writer, a crash trigger).
        self.before_request: Callable[[RecordedRequest], None] | None = None
        # Every Nth request (counted from the start) is refused 429 with this Retry-After.
        self.rate_limit_every: int | None = None
        self.rate_limit_retry_after = 1
        self.rate_limited_answers = 0
        self.served = 0
        self.clock = EPOCH
        self._faults: deque[Fault] = deque()
        self._ids = itertools.count(1001)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # lifecycle
    def start(self) -> Self:
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL of the running fake, http://127.0.0.1:<port>."""
        assert self._server is not None, "the fake is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # test controls
    @property
    def between_pages(self) -> Callable[[int], None] | None:
        """Runs after the Nth list answer that has a next page, before the client can ask for
        the next one (a writer during paging); N counts from when the hook was set."""
        return self._between_pages

    @between_pages.setter
    def between_pages(self, hook: Callable[[int], None] | None) -> None:
        with self.lock:
            self._between_pages = hook
            self.pages_answered = 0

    def fail_next(self, fault: Fault, times: int = 1) -> None:
        """Answer the next `times` requests with `fault` (queued after earlier faults)."""
        with self.lock:
            self._faults.extend([fault] * times)

    def clear_faults(self) -> None:
        """Drop the faults not yet given: the tracker is back."""
        with self.lock:
            self._faults.clear()

    def clear_requests(self) -> None:
        with self.lock:
            self.requests.clear()

    def requests_to(self, suffix: str) -> list[RecordedRequest]:
        """Recorded requests whose path ends with `suffix`."""
        with self.lock:
            return [r for r in self.requests if r.path.endswith(suffix)]

    def tick(self, seconds: float = 1) -> datetime:
        """Advance the fake clock and return the new time (the next updated_at)."""
        with self.lock:
            self.clock += timedelta(seconds=seconds)
            return self.clock

    def add_project(self, project: str) -> None:
        """Make an empty project (repository) exist; adding an issue also does."""
        with self.lock:
            self.projects.add(project)

    def add_issue(
        self,
        project: str,
        *,
        number: int | None = None,
        title: str | None = None,
        body: str = "",
        state: Literal["open", "closed"] = "open",
        labels: Iterable[str] = (),
        milestone: str | None = None,
        assignees: Iterable[str] = (),
        author: str = "nimbinatus",
        created_at: datetime | None = None,
        updated_at: datetime | None = None,
        confidential: bool = False,
        is_pull_request: bool = False,
        original_author: str = "",
    ) -> FakeIssue:
        """Create an issue; times default to the next tick of the fake clock."""
        with self.lock:
            self.add_project(project)
            if number is None:
                number = self._next_number.get(project, 1)
            self._next_number[project] = max(self._next_number.get(project, 1), number + 1)
            when = updated_at or created_at or self.tick()
            issue = FakeIssue(
                project=project,
                number=number,
                id=next(self._ids),
                title=title or f"Issue {number}",
                body=body,
                state=state,
                labels=list(labels),
                milestone=milestone,
                assignees=list(assignees),
                author=author,
                created_at=created_at or when,
                updated_at=when,
                closed_at=when if state == "closed" else None,
                confidential=confidential,
                state_reason="completed" if state == "closed" else None,
                is_pull_request=is_pull_request,
                original_author=original_author,
            )
            self.issues[(project, number)] = issue
            return issue

    def add_issues(self, project: str, count: int, **fields: Any) -> list[FakeIssue]:
        """Create `count` issues one tick apart (for large listings and benchmarks)."""
        return [self.add_issue(project, **fields) for _ in range(count)]

    def add_pull_request(self, project: str, **fields: Any) -> FakeIssue:
        return self.add_issue(project, is_pull_request=True, **fields)

    def update_issue(
        self, project: str, number: int, *, updated_at: datetime | None = None, **changes: Any
    ) -> FakeIssue:
        """Change fields of an issue and bump its updated_at (to the next tick by default)."""
        with self.lock:
            issue = self.issues[(project, number)]
            for name, value in changes.items():
                if not hasattr(issue, name):
                    raise AttributeError(name)
                setattr(issue, name, value)
            issue.updated_at = updated_at or self.tick()
            if "state" in changes:
                closed = changes["state"] == "closed"
                issue.closed_at = issue.updated_at if closed else None
                issue.state_reason = "completed" if closed else "reopened"
            return issue

    def close_issue(self, project: str, number: int) -> FakeIssue:
        return self.update_issue(project, number, state="closed")

    def delete_issue(self, project: str, number: int) -> None:
        with self.lock:
            del self.issues[(project, number)]

    def move_issue(self, project: str, number: int, to_project: str) -> FakeIssue:
        """Move an issue the GitLab way: a copy in `to_project`, the old one closed and linked."""
        with self.lock:
            old = self.issues[(project, number)]
            new = self.add_issue(
                to_project,
                title=old.title,
                body=old.body,
                labels=old.labels,
                milestone=old.milestone,
                assignees=old.assignees,
                author=old.author,
                confidential=old.confidential,
            )
            self.update_issue(project, number, state="closed", moved_to_id=new.id)
            return new

    def project_issues(self, project: str) -> list[FakeIssue]:
        with self.lock:
            return [i for (p, _), i in self.issues.items() if p == project]

    # serving
    def handle(self, request: RecordedRequest) -> Response:
        """Route a request; subclasses implement the tracker's API."""
        raise NotImplementedError

    def rate_limit_headers(self, fault: Fault) -> dict[str, str]:
        headers = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        return headers

    def _dispatch(self, handler: _Handler) -> None:
        split = urlsplit(handler.path)
        request = RecordedRequest(
            method=handler.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in handler.headers.items()},
        )
        hook = self.before_request
        if hook is not None:
            hook(request)
        with self.lock:
            handler.fake_date = email.utils.format_datetime(self.clock, usegmt=True)
            self.requests.append(request)
            self.served += 1
            fault = self._faults.popleft() if self._faults else None
            every = self.rate_limit_every
            if fault is None and every and self.served % every == 0:
                fault = Fault.rate_limited(retry_after=self.rate_limit_retry_after)
            if fault is not None and fault.kind == "rate_limit":
                self.rate_limited_answers += 1
            if fault is not None and fault.kind in ("status", "rate_limit", "html"):
                response = self._fault_response(fault)
            else:
                response = self.handle(request)
                if fault is not None:
                    response = self._corrupt(response, fault)
            if response.has_next and response.page and self._between_pages is not None:
                self.pages_answered += 1
                self._between_pages(self.pages_answered)
        self._send(handler, response)

    def _fault_response(self, fault: Fault) -> Response:
        if fault.kind == "html":
            return Response(fault.status, raw=HTML_ERROR_PAGE, content_type="text/html")
        if fault.kind == "rate_limit":
            return Response(
                fault.status,
                body={"message": "API rate limit exceeded"},
                headers=self.rate_limit_headers(fault),
            )
        body = HTML_ERROR_PAGE if fault.status in (502, 503, 504) else b'{"message":"500"}'
        kind = "text/html" if fault.status in (502, 503, 504) else "application/json"
        return Response(fault.status, raw=body, content_type=kind)

    @staticmethod
    def _corrupt(response: Response, fault: Fault) -> Response:
        if fault.kind == "wrong_type":
            body = response.body
            target = body[0] if isinstance(body, list) and body else body
            if isinstance(target, dict):
                target[fault.field] = fault.value
            return response
        raw = json.dumps(response.body).encode()
        response.raw = raw[: max(1, len(raw) // 2)]
        return response

    def _send(self, handler: _Handler, response: Response) -> None:
        if response.raw is not None:
            payload = response.raw
        elif response.status == 304:
            payload = b""
        else:
            payload = json.dumps(response.body).encode()
        handler.send_response(response.status)
        if response.status != 304:
            handler.send_header("Content-Type", f"{response.content_type}; charset=utf-8")
        for name, value in response.headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    # helpers for subclasses
    def link_header(self, base: str, query: dict[str, list[str]], pages: dict[str, int]) -> str:
        """Build a Link header to `base` with `query` and `page` set for each rel."""
        parts = []
        for rel, page in pages.items():
            params = {k: v[-1] for k, v in query.items()}
            params["page"] = str(page)
            parts.append(f'<{base}?{urlencode(params)}>; rel="{rel}"')
        return ", ".join(parts)

    @staticmethod
    def parse_time(value: str) -> datetime:
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

    @staticmethod
    def int_param(request: RecordedRequest, name: str, default: int, maximum: int) -> int:
        value = request.param(name)
        if value is None or not value.isdigit() or int(value) < 1:
            return default
        return min(int(value), maximum)

    @staticmethod
    def now_epoch() -> int:
        return int(time.time())


def page_slice(items: list[Any], page: int, per_page: int) -> tuple[list[Any], int]:
    """Return the items of `page` (1-based) and the number of pages (at least 1)."""
    pages = max(1, -(-len(items) // per_page))
    return items[(page - 1) * per_page : page * per_page], pages
