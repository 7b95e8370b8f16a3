"""GitLab REST v4 issues and boards client through python-gitlab (gitlab.com by default).

python-gitlab raises on 304, so GitLab gets no conditional requests: an unchanged project costs
one request with `updated_after` that returns the issues at the cursor (the filter is inclusive).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, NoReturn, Self, TypeVar

import gitlab
import gitlab.client
import gitlab.exceptions
import gitlab.utils
import requests
import requests.adapters
from requests.structures import CaseInsensitiveDict

from trackers.clients.base import (
    Board,
    BoardColumn,
    CursorTracker,
    FetchResult,
    Fields,
    Page,
    RateLimited,
    RemoteIssue,
    TrackerAuthError,
    TrackerError,
    TrackerGarbage,
    TrackerNotFound,
    TrackerUnavailable,
    epoch_header,
    format_since,
    int_header,
    retry_after_from_headers,
)

GITLAB_COM = "https://gitlab.com"

T = TypeVar("T")


class _CountingAdapter(requests.adapters.HTTPAdapter):
    """Count every request python-gitlab sends and keep the last response's headers."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        self.last_headers: CaseInsensitiveDict[str] = CaseInsensitiveDict()

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        self.count += 1
        response = super().send(request, *args, **kwargs)
        self.last_headers = response.headers
        return response


class GitLabClient:
    """List a project's or group's issues, fetch one issue, read boards, via python-gitlab.

    Rate limits: with `obey_rate_limit=False` (the default) a 429 raises RateLimited at once so a
    task can be rescheduled; with True python-gitlab sleeps for Retry-After inside the call, up to
    `max_retries` times. `retry_transient_errors` retries 5xx and network errors with its own short
    exponential backoff (0.1 s, 0.2 s, ...).
    """

    kind = "gitlab"

    def __init__(
        self,
        *,
        base_url: str = GITLAB_COM,
        token: str | None = None,
        timeout: float = 10.0,
        max_retries: int = 2,
        retry_transient_errors: bool = True,
        obey_rate_limit: bool = False,
        per_page: int = 100,
        user_agent: str = "fedimage",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.authenticated = bool(token)
        self.per_page = per_page
        self._adapter = _CountingAdapter()
        session = requests.Session()
        session.mount("http://", self._adapter)
        session.mount("https://", self._adapter)
        self._gl = gitlab.Gitlab(
            self.base_url,
            private_token=token or None,
            timeout=timeout,
            retry_transient_errors=retry_transient_errors,
            user_agent=user_agent,
            session=session,
        )
        self._request_opts: dict[str, Any] = {
            "max_retries": max_retries,
            "obey_rate_limit": obey_rate_limit,
        }

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
        """HTTP requests this client has sent, retries included."""
        return self._adapter.count

    def fetch_issues(
        self, project: str, *, since: datetime | None = None, group: bool = False
    ) -> FetchResult:
        """List the issues of `project` (path or id; a group with `group=True`) updated at or
        after `since`, opened and closed, every page."""
        return FetchResult.from_pages(
            self.iter_pages(project, since=since, group=group), since=since
        )

    def iter_pages(
        self, project: str, *, since: datetime | None = None, group: bool = False
    ) -> Iterator[Page]:
        """Yield the listing page by page, oldest update first.

        python-gitlab's iterator fetches the next page lazily, so a page is yielded once the
        next one has arrived; when that request fails the page read so far is yielded first,
        then the error is raised, so a caller can store its progress.
        """
        what = f"GitLab issues of {'group ' if group else ''}{project}"
        query: dict[str, Any] = {
            "order_by": "updated_at",
            "sort": "asc",
            "per_page": self.per_page,
        }
        if since is not None:
            query["updated_after"] = format_since(since)
        start = self.requests_made
        tracker = CursorTracker()
        # http_list hands back the raw dicts: python-gitlab's RESTObjects cost ~0.5 ms each.
        scope = "groups" if group else "projects"
        path = f"/{scope}/{gitlab.utils.EncodedId(project)}/issues"
        listing = self._call(
            what,
            lambda: self._gl.http_list(path, iterator=True, **query, **self._request_opts),
        )
        if not isinstance(listing, gitlab.client.GitlabList):  # pragma: no cover - iterator=True
            raise TrackerError(f"{what}: python-gitlab returned no iterator")

        page_number = 1
        pending: list[dict[str, Any]] = []
        total = listing.total

        def flush(last: bool) -> Page:
            issues = tuple(map_issue(item, fallback_project=project) for item in pending)
            tracker.add_page(((issue.remote_id, issue.updated_at) for issue in issues), total=total)
            return Page(
                issues=issues,
                number=page_number,
                cursor=tracker.cursor,
                requests=self.requests_made - start,
                **self._rate_limit_state(),
                last=last,
            )

        while True:
            try:
                item = next(listing)
            except StopIteration:
                break
            except (gitlab.exceptions.GitlabError, requests.RequestException) as exc:
                if pending:
                    yield flush(last=False)
                self._raise(what, exc)
            except (KeyError, TypeError) as exc:
                # GitlabList indexes the decoded body: a JSON object instead of a list.
                raise TrackerGarbage(f"{what}: expected a list of issues") from exc
            current = _page_of(listing, page_number)
            if current != page_number and pending:
                yield flush(last=False)
                pending = []
                page_number = current
                total = listing.total
            pending.append(item)
        yield flush(last=True)

    def get_issue(self, project: str, iid: int) -> RemoteIssue:
        """Fetch one issue by its project-local iid (for webhooks)."""
        what = f"GitLab issue {project}#{iid}"
        manager = self._gl.projects.get(project, lazy=True).issues
        issue = self._call(what, lambda: manager.get(int(iid), **self._request_opts))
        return map_issue(issue.attributes, fallback_project=project)

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
        return list(manager.list(iterator=True, **self._request_opts))

    def _rate_limit_state(self) -> dict[str, Any]:
        headers = self._adapter.last_headers
        return {
            "rate_limit_remaining": int_header(headers, "ratelimit-remaining"),
            "rate_limit_reset": epoch_header(headers, "ratelimit-reset"),
        }

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
            wait = retry_after_from_headers(
                self._adapter.last_headers, reset_header="ratelimit-reset"
            )
            raise RateLimited(wait, f"{what}: GitLab rate limit") from exc
        if code in (401, 403):
            raise TrackerAuthError(f"{what}: HTTP {code}") from exc
        if code == 404:
            raise TrackerNotFound(f"{what}: HTTP 404") from exc
        if code is not None and code >= 500:
            raise TrackerUnavailable(f"{what}: HTTP {code} after retries") from exc
        raise TrackerError(f"{what}: HTTP {code}") from exc


def _page_of(listing: Any, default: int) -> int:
    """Return the X-Page of the page the iterator is on; without the header, `default`."""
    try:
        return int(listing.current_page)
    except (TypeError, ValueError):
        return default


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
