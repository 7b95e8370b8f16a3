"""GitLab REST v4 issues and boards client through python-gitlab (gitlab.com by default).

Project listings use GitLab's keyset pagination (`pagination=keyset`, ordered by updated_at):
the next page is a link GitLab gives, which no write can shift, and which stays valid to resume
from. Group listings (GitLab refuses keyset there) and projects on a GitLab that refuses it are
paged by seek (trackers.clients.seek), so they never need an offset past GitLab's limit.

python-gitlab raises on 304, so GitLab gets no conditional requests: an unchanged project costs
one request with `updated_after` that returns the issues at the cursor (the filter is inclusive).
python-gitlab's own retries and rate-limit sleeps are off: one request per call.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, ClassVar, NoReturn, Self, TypeVar
from urllib.parse import parse_qsl, urlsplit

import gitlab
import gitlab.exceptions
import gitlab.utils
import requests
import requests.adapters
from requests.structures import CaseInsensitiveDict

from trackers.clients._http import wait_for
from trackers.clients.base import (
    Board,
    BoardColumn,
    ListingRefused,
    ListingRequest,
    NoBudget,
    Page,
    RateBudget,
    RateLimited,
    RemoteIssue,
    TrackerAuthError,
    TrackerError,
    TrackerGarbage,
    TrackerNotFound,
    TrackerUnavailable,
    epoch_header,
    format_time,
    int_header,
    pages_for,
    parse_time,
)
from trackers.clients.fields import Fields
from trackers.clients.seek import Seek

GITLAB_COM = "https://gitlab.com"
# One request per call: python-gitlab neither retries nor sleeps on a rate limit.
_ONCE: dict[str, Any] = {
    "obey_rate_limit": False,
    "retry_transient_errors": False,
    "max_retries": 0,
}

T = TypeVar("T")


class _BudgetAdapter(requests.adapters.HTTPAdapter):
    """Send python-gitlab's requests through the shared budget; count them, keep the headers."""

    def __init__(self, budget: RateBudget) -> None:
        super().__init__()
        self.budget = budget
        self.count = 0
        self.last_headers: CaseInsensitiveDict[str] = CaseInsensitiveDict()

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        self.budget.acquire("core")
        self.count += 1
        response = super().send(request, *args, **kwargs)
        headers = self.last_headers = response.headers
        reset_at = epoch_header(headers, "ratelimit-reset")
        refused_for = None
        if response.status_code == 429:
            refused_for = wait_for(reset_at, headers.get("retry-after"))
        self.budget.record(
            "core",
            remaining=int_header(headers, "ratelimit-remaining"),
            reset_at=reset_at,
            retry_after=refused_for,
        )
        return response


class GitLabClient:
    """List, count and fetch a project's or group's issues, read boards, via python-gitlab."""

    kind: ClassVar[str] = "gitlab"
    supports_boards: ClassVar[bool] = True

    def __init__(
        self,
        *,
        base_url: str = GITLAB_COM,
        token: str | None = None,
        timeout: float = 10.0,
        per_page: int = 100,
        budget: RateBudget | None = None,
        user_agent: str = "fedimage",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.authenticated = bool(token)
        self.per_page = per_page
        self._adapter = _BudgetAdapter(budget or NoBudget())
        session = requests.Session()
        session.mount("http://", self._adapter)
        session.mount("https://", self._adapter)
        self._gl = gitlab.Gitlab(
            self.base_url,
            private_token=token or None,
            timeout=timeout,
            retry_transient_errors=False,
            user_agent=user_agent,
            session=session,
        )

    def __repr__(self) -> str:
        return f"GitLabClient(base_url={self.base_url!r}, authenticated={self.authenticated})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._gl.session.close()

    @property
    def requests_made(self) -> int:
        """HTTP requests this client has sent (a request the budget stopped is not one)."""
        return self._adapter.count

    @property
    def rate_limit_remaining(self) -> int | None:
        return int_header(self._adapter.last_headers, "ratelimit-remaining")

    # listings

    def iter_pages(self, request: ListingRequest) -> Iterator[Page]:
        """Yield the issues updated in [since, until), oldest update first, page by page."""
        resume = request.resume or {}
        strategy = resume.get("strategy") or ("seek" if request.group else "keyset")
        if strategy == "keyset":
            started = False
            try:
                for page in self._keyset_pages(request):
                    started = True
                    yield page
                return
            except ListingRefused:
                # A GitLab without keyset for issues refuses the first page: page by seek.
                if started or request.resume:
                    raise
        yield from self._seek_pages(request)

    def _path(self, project: str, group: bool, tail: str = "issues") -> str:
        scope = "groups" if group else "projects"
        return f"/{scope}/{gitlab.utils.EncodedId(project)}/{tail}"

    def _filters(self, request: ListingRequest, after: datetime | None) -> dict[str, Any]:
        query: dict[str, Any] = {
            "order_by": "updated_at",
            "sort": "asc",
            "per_page": self.per_page,
        }
        if after is not None:
            query["updated_after"] = format_time(after, millis=True)
        if request.until is not None:
            query["updated_before"] = format_time(
                request.until - timedelta(milliseconds=1), millis=True
            )
        return query

    def _keyset_pages(self, request: ListingRequest) -> Iterator[Page]:
        what = f"GitLab issues of {request.project}"
        path = self._path(request.project, request.group)
        resume = request.resume or {}
        high = parse_time(resume.get("high"))
        pages = int(resume.get("pages", 0))
        pages_total: int | None = resume.get("pages_total")
        query: dict[str, Any] = dict(resume.get("next") or {})
        if not query:
            query = {**self._filters(request, request.since), "pagination": "keyset"}
        while True:
            response = self._get(what, path, query, keyset=True)
            items = self._decode_list(what, response)
            issues = tuple(map_issue(item, fallback_project=request.project) for item in items)
            for issue in issues:
                if high is None or issue.updated_at > high:
                    high = issue.updated_at
            next_query = self._next_query(response)
            pages += 1
            if pages == 1 and next_query and pages_total is None and request.until is None:
                pages_total = self._pages_total(request)
            yield Page(
                issues=issues,
                number=pages,
                position={
                    "strategy": "keyset",
                    "next": next_query,
                    "high": None if high is None else high.isoformat(),
                    "pages": pages,
                    "pages_total": pages_total,
                },
                cursor=_later(high, request.since),
                last=not next_query,
                pages_total=max(pages_total or pages, pages) if next_query else pages,
                rate_limit_remaining=self.rate_limit_remaining,
            )
            if not next_query:
                return
            query = next_query

    def _pages_total(self, request: ListingRequest) -> int | None:
        """Keyset answers carry no totals: one count says how long the listing is. Only a
        progress figure: when the count fails, the page read is kept and the listing goes on."""
        try:
            count = self.count_issues(
                request.project, group=False, since=request.since, until=request.until
            )
        except TrackerError:
            return None
        return pages_for(count, self.per_page)

    def _seek_pages(self, request: ListingRequest) -> Iterator[Page]:
        what = f"GitLab issues of {'group ' if request.group else ''}{request.project}"
        path = self._path(request.project, request.group)
        seek = Seek.start(request.since, request.resume, per_page=self.per_page)
        while True:
            query = self._filters(request, seek.after)
            asked_page = seek.offset_page
            query["page"] = asked_page
            response = self._get(what, path, query, keyset=False)
            items = self._decode_list(what, response)
            read = [map_issue(item, fallback_project=request.project) for item in items]
            keyed = [((i.project_path, i.number), i.updated_at) for i in read]
            issues = tuple(
                i for i, (key, when) in zip(read, keyed, strict=True) if seek.fresh(key, when)
            )
            has_next = bool(response.headers.get("x-next-page")) and bool(items)
            left = int_header(response.headers, "x-total-pages")
            seek.advance(keyed)
            pages_total = seek.pages
            if has_next:
                pages_total += max(1, left - asked_page) if left else 1
            yield Page(
                issues=issues,
                number=seek.pages,
                position={"strategy": "seek", **seek.position()},
                cursor=seek.cursor(request.since),
                last=not has_next,
                pages_total=pages_total,
                rate_limit_remaining=self.rate_limit_remaining,
            )
            if not has_next:
                return

    def _get(self, what: str, path: str, query: dict[str, Any], *, keyset: bool) -> Any:
        try:
            return self._gl.http_request("get", path, query_data=query, **_ONCE)
        except gitlab.exceptions.GitlabHttpError as exc:
            if exc.response_code in (400, 405) and (keyset or "offset" in str(exc).lower()):
                raise ListingRefused(f"{what}: HTTP {exc.response_code}: {exc}") from exc
            self._raise(what, exc)
        except (gitlab.exceptions.GitlabError, requests.RequestException) as exc:
            self._raise(what, exc)

    @staticmethod
    def _decode_list(what: str, response: Any) -> list[Any]:
        try:
            data = response.json()
        except ValueError:
            raise TrackerGarbage(f"{what}: the answer is not JSON") from None
        if not isinstance(data, list):
            raise TrackerGarbage(f"{what}: expected a list of issues")
        return data

    def _next_query(self, response: Any) -> dict[str, str]:
        """The query of the Link rel="next" GitLab gave (applied to our own path and host)."""
        url = response.links.get("next", {}).get("url")
        if not url:
            return {}
        return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))

    def count_issues(
        self, project: str, *, group: bool, since: datetime | None, until: datetime | None
    ) -> int:
        """Count the issues updated in [since, until) with GitLab's issue statistics."""
        what = f"GitLab issue count of {project}"
        query: dict[str, Any] = {}
        if since is not None:
            query["updated_after"] = format_time(since, millis=True)
        if until is not None:
            query["updated_before"] = format_time(until - timedelta(milliseconds=1), millis=True)
        path = self._path(project, group, "issues_statistics")
        data = self._call(what, lambda: self._gl.http_get(path, query_data=query, **_ONCE))
        counts = Fields(data, what).obj("statistics").obj("counts")
        return counts.integer("all")

    def get_issue(self, project: str, number: int) -> RemoteIssue:
        """Fetch one issue by its project-local iid (for webhooks)."""
        what = f"GitLab issue {project}#{number}"
        path = f"{self._path(project, False)}/{int(number)}"
        data = self._call(what, lambda: self._gl.http_get(path, **_ONCE))
        return map_issue(data, fallback_project=project)

    def boards(self, project: str, *, group: bool = False) -> tuple[Board, ...]:
        """Read the issue boards of a project (or group) with their label lists, in order."""
        what = f"GitLab boards of {project}"
        owner = self._gl.groups if group else self._gl.projects
        parent = owner.get(project, lazy=True)
        found = self._call(what, functools.partial(self._list_all, parent.boards))
        boards = []
        for board in found:
            fields = Fields(board.attributes, what)
            board_id = fields.integer("id")
            lists = self._call(what, functools.partial(self._list_all, board.lists))
            columns = []
            for item in lists:
                column = Fields(item.attributes, f"{what}: board {board_id} list")
                label = column.opt_obj("label")
                if label is None:  # assignee, milestone or iteration lists carry no label
                    continue
                columns.append(
                    BoardColumn(
                        label=label.text("name"),
                        position=column.integer("position"),
                        list_id=column.integer("id"),
                    )
                )
            columns.sort(key=lambda c: (c.position, c.list_id))
            boards.append(
                Board(id=board_id, name=fields.opt_text("name") or "", columns=tuple(columns))
            )
        return tuple(boards)

    def _list_all(self, manager: Any) -> list[Any]:
        return list(manager.list(iterator=True, **_ONCE))

    def _call(self, what: str, call: Callable[[], T]) -> T:
        try:
            return call()
        except (gitlab.exceptions.GitlabError, requests.RequestException) as exc:
            self._raise(what, exc)

    def _raise(self, what: str, exc: Exception) -> NoReturn:
        if isinstance(exc, requests.RequestException):
            raise TrackerUnavailable(f"{what}: {type(exc).__name__}") from exc
        if isinstance(exc, gitlab.exceptions.GitlabParsingError):
            raise TrackerGarbage(f"{what}: the answer is not the expected JSON") from exc
        assert isinstance(exc, gitlab.exceptions.GitlabError)  # noqa: S101 - narrowed above
        code = exc.response_code
        if code == 429:
            headers = self._adapter.last_headers
            wait = wait_for(epoch_header(headers, "ratelimit-reset"), headers.get("retry-after"))
            raise RateLimited(wait, f"{what}: GitLab rate limit") from exc
        if code in (401, 403):
            raise TrackerAuthError(f"{what}: HTTP {code}") from exc
        if code == 404:
            raise TrackerNotFound(f"{what}: HTTP 404") from exc
        if code is not None and code >= 500:
            raise TrackerUnavailable(f"{what}: HTTP {code}") from exc
        raise TrackerError(f"{what}: HTTP {code}") from exc


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None or b is None:
        return a or b
    return max(a, b)


def map_issue(item: Any, *, fallback_project: str = "") -> RemoteIssue:
    """Map one GitLab issue object onto RemoteIssue, validating every field used."""
    f = Fields(item, "GitLab issue")
    iid = f.integer("iid")
    references = f.opt_obj("references")
    project_path = fallback_project
    if references is not None:
        full = references.text("full")
        project_path, sep, ref_iid = full.rpartition("#")
        if not sep or not project_path or ref_iid != str(iid):
            raise TrackerGarbage(f"GitLab issue: references.full {full!r} does not match iid {iid}")
    f.what = f"GitLab issue {project_path}#{iid}"
    state = f.text("state")
    if state not in ("opened", "closed"):
        raise TrackerGarbage(f"{f.what}: unknown state {state!r}")
    milestone = f.opt_obj("milestone")
    author = f.opt_obj("author")
    moved_to_id = f.opt_integer("moved_to_id")
    f.integer("project_id")
    return RemoteIssue(
        tracker="gitlab",
        project_path=project_path,
        number=iid,
        title=f.text("title"),
        body=f.opt_text("description") or "",
        state="open" if state == "opened" else "closed",
        labels=f.strings("labels"),
        milestone=milestone.text("title") if milestone else None,
        assignees=f.names("assignees", "username", null_is_empty=True),
        author=author.text("username") if author else None,
        web_url=f.text("web_url"),
        created_at=f.time("created_at"),
        updated_at=f.time("updated_at"),
        closed_at=f.opt_time("closed_at"),
        confidential=f.flag("confidential", default=False),
        moved_to=f"gitlab-id:{moved_to_id}" if moved_to_id is not None else None,
        remote_id=f.integer("id"),
    )
