"""Forgejo / Gitea API v1 issues client on httpx (forge.fedoraproject.org)."""

from __future__ import annotations

import email.utils
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, ClassVar

import httpx

from trackers.clients._http import JsonClient, JsonHttp, Limits, wait_for
from trackers.clients.base import (
    ListingRequest,
    NoBudget,
    Page,
    RateBudget,
    RemoteIssue,
    TrackerGarbage,
    epoch_header,
    format_time,
    int_header,
    last_second_before,
    pages_for,
    parse_time,
)
from trackers.clients.fields import Fields, map_github_shaped_issue


def forgejo_limits(response: httpx.Response, resource: str) -> Limits:
    # Forgejo has no API rate limit of its own; a proxy in front of it may answer 429.
    headers = response.headers
    reset_at = epoch_header(headers, "x-ratelimit-reset")
    refused_for = None
    if response.status_code == 429:
        refused_for = wait_for(reset_at, headers.get("retry-after"))
    return Limits(resource, int_header(headers, "x-ratelimit-remaining"), reset_at, refused_for)


def _server_time(response: httpx.Response) -> datetime | None:
    """The Date header: the tracker's own clock, the one its updated_at times come from."""
    try:
        when = email.utils.parsedate_to_datetime(response.headers.get("date", ""))
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else None


def _split_repo(repo: str) -> tuple[str, str]:
    owner, sep, name = repo.strip("/").partition("/")
    if not sep or not owner or not name or "/" in name:
        raise ValueError(f"expected 'owner/name', got {repo!r}")
    return owner, name


class _Window:
    """A listing of the issues updated in [since, before], paged by offset, that skips none.

    Forgejo lists newest-created first and knows no cursor, so pages are asked by number. The
    window is closed at the server's time of the first answer (`before`): an issue updated later
    leaves it (the next listing, from this one's cursor, reads it) and nothing can enter it, so
    the only shifts are issues leaving, which move everything after them up a place. Read from
    the last page to the first, such a shift can only move an issue already read onto a page
    still to read (read twice), never one still to read onto a page already read. Page 1 is read
    first (it tells the total and the server's page size) and once more at the end: P pages cost
    P + 1 requests, however busy the tracker.
    """

    def __init__(self, request: ListingRequest, resume: Mapping[str, Any]) -> None:
        self.since = request.since
        self.before = parse_time(resume.get("before"))
        if request.until is not None:
            self.before = last_second_before(request.until)
        # The next page to read; None until page 1 told how many there are.
        self.next: int | None = resume.get("next")
        self.page_size: int | None = resume.get("page_size")
        self.high = parse_time(resume.get("high"))
        self.pages = int(resume.get("pages", 0))
        # Page 1 as first read ({number: updated_at}): its second reading drops what it repeats.
        self.first: dict[str, str] = dict(resume.get("first") or {})

    def fresh(self, page: int, number: int, updated_at: datetime) -> bool:
        """False for an issue the last reading of page 1 repeats from the first one."""
        if page != 1:
            return True
        if self.next is None:
            self.first[str(number)] = updated_at.isoformat()
            return True
        return self.first.get(str(number)) != updated_at.isoformat()

    def take(self, page: int, asked: int, count: int, total: int) -> bool:
        """Account for page `page` (of `asked` a page) holding `count` of `total` issues;
        return whether the listing is complete."""
        self.pages += 1
        if self.next is None:  # the first read of page 1
            # The server may cap the page size (MAX_RESPONSE_ITEMS): page 1 shows it.
            self.page_size = count if 0 < count < asked and total > count else asked
            last_page = pages_for(total, self.page_size) or 1
            self.next = last_page if last_page > 1 else 0
        else:
            self.next = page - 1
        return self.next == 0

    def position(self) -> dict[str, Any]:
        return {
            "before": None if self.before is None else self.before.isoformat(),
            "next": self.next,
            "page_size": self.page_size,
            "high": None if self.high is None else self.high.isoformat(),
            "pages": self.pages,
            "first": self.first,
        }

    def cursor(self) -> datetime | None:
        if self.high is None:
            return self.since
        return self.high if self.since is None or self.high > self.since else self.since


class ForgejoClient(JsonClient):
    """List, count and fetch a repository's issues through Forgejo's (Gitea's) API v1."""

    kind: ClassVar[str] = "forgejo"
    supports_boards: ClassVar[bool] = False

    def __init__(
        self,
        *,
        base_url: str,
        token: str | None = None,
        timeout: float = 10.0,
        per_page: int = 50,
        budget: RateBudget | None = None,
        user_agent: str = "fedimage",
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Accept": "application/json", "User-Agent": user_agent}
        if token:
            headers["Authorization"] = f"token {token}"
        self.base_url = base_url.rstrip("/")
        self.authenticated = bool(token)
        self.per_page = per_page
        self._http = JsonHttp(
            base_url=self.base_url,
            headers=headers,
            timeout=timeout,
            limits=forgejo_limits,
            budget=budget or NoBudget(),
            transport=transport,
        )

    def _issues_path(self, repo: str) -> str:
        owner, name = _split_repo(repo)
        return f"/api/v1/repos/{owner}/{name}/issues"

    def iter_pages(self, request: ListingRequest) -> Iterator[Page]:
        """Yield the issues of `request.project` updated in [since, until), page by page."""
        repo = request.project
        path = self._issues_path(repo)
        window = _Window(request, request.resume or {})
        while True:
            page = window.next or 1
            params: dict[str, str | int] = {
                "state": "all",
                "type": "issues",
                "limit": window.page_size or self.per_page,
                "page": page,
            }
            if window.since is not None:
                params["since"] = format_time(window.since)
            if window.before is not None:
                params["before"] = format_time(window.before)
            response = self._http.get(path, params=params, what=f"Forgejo issues of {repo}")
            if window.before is None:
                window.before = _server_time(response)
            data = JsonHttp.json(response)
            if not isinstance(data, list):
                raise TrackerGarbage(f"Forgejo issues of {repo}: expected a list")
            total = int_header(response.headers, "x-total-count")
            if total is None:
                raise TrackerGarbage(f"Forgejo issues of {repo}: no X-Total-Count")
            issues: list[RemoteIssue] = []
            skipped = 0
            for i, item in enumerate(data):
                fields = Fields(item, f"Forgejo issues of {repo}[{i}]")
                updated_at = fields.time("updated_at")
                if window.high is None or updated_at > window.high:
                    window.high = updated_at
                if not window.fresh(page, fields.integer("number"), updated_at):
                    continue
                if fields.has("pull_request"):
                    skipped += 1
                    continue
                issues.append(map_issue(item, repo))
            last = window.take(page, self.per_page, len(data), total)
            yield Page(
                issues=tuple(issues),
                number=window.pages,
                position=window.position(),
                cursor=window.cursor(),
                last=last,
                # The pages left are the ones below `next`, and page 1 again.
                pages_total=window.pages + (window.next or 0),
                skipped_pull_requests=skipped,
                rate_limit_remaining=self.rate_limit_remaining,
            )
            if last:
                return

    def count_issues(
        self, project: str, *, group: bool, since: datetime | None, until: datetime | None
    ) -> int:
        """Count the issues updated in [since, until): the listing's X-Total-Count."""
        params: dict[str, str | int] = {"state": "all", "type": "issues", "limit": 1, "page": 1}
        if since is not None:
            params["since"] = format_time(since)
        if until is not None:
            params["before"] = format_time(last_second_before(until))
        response = self._http.get(
            self._issues_path(project), params=params, what=f"Forgejo issue count of {project}"
        )
        total = int_header(response.headers, "x-total-count")
        if total is None:
            raise TrackerGarbage(f"Forgejo issue count of {project}: no X-Total-Count")
        return total

    def get_issue(self, project: str, number: int) -> RemoteIssue:
        """Fetch one issue by number."""
        response = self._http.get(
            f"{self._issues_path(project)}/{int(number)}", what=f"Forgejo issue {project}#{number}"
        )
        return map_issue(JsonHttp.json(response), project)


def map_issue(item: Any, repo: str) -> RemoteIssue:
    """Map one Gitea-shaped issue object onto RemoteIssue, validating every field used."""
    return map_github_shaped_issue(item, repo, tracker="forgejo", name="Forgejo", forgejo=True)
