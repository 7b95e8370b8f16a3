"""Forgejo / Gitea API v1 issues client on httpx (forge.fedoraproject.org)."""

from __future__ import annotations

import email.utils
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx

from trackers.clients._http import JsonClient, JsonHttp
from trackers.clients.base import (
    FetchResult,
    Fields,
    Page,
    RateLimited,
    RemoteIssue,
    TrackerGarbage,
    format_since,
    int_header,
    map_github_shaped_issue,
    retry_after_from_headers,
)


def _rate_limit_wait(response: httpx.Response) -> float | None:
    # Forgejo has no API rate limit of its own; a proxy in front of it may answer 429.
    if response.status_code != 429:
        return None
    return retry_after_from_headers(response.headers, reset_header="x-ratelimit-reset")


def _server_time(response: httpx.Response) -> datetime | None:
    """The Date header: the tracker's own clock, the one its updated_at times come from."""
    try:
        when = email.utils.parsedate_to_datetime(response.headers.get("date", ""))
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo is not None else None


def _split_repo(repo: str) -> tuple[str, str]:
    owner, sep, name = repo.strip("/").partition("/")
    if not sep or not owner or not name or "/" in name:
        raise ValueError(f"expected 'owner/name', got {repo!r}")
    return owner, name


class ForgejoClient(JsonClient):
    """List and fetch a repository's issues through Forgejo's (Gitea's) API v1."""

    kind = "forgejo"

    def __init__(
        self,
        *,
        base_url: str,
        token: str | None = None,
        timeout: float = 10.0,
        max_retries: int = 2,
        backoff: float = 0.5,
        limit: int = 50,
        user_agent: str = "fedimage",
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Accept": "application/json", "User-Agent": user_agent}
        if token:
            headers["Authorization"] = f"token {token}"
        self.base_url = base_url.rstrip("/")
        self.authenticated = bool(token)
        self.limit = limit
        self._http = JsonHttp(
            base_url=self.base_url,
            headers=headers,
            timeout=timeout,
            max_retries=max_retries,
            backoff=backoff,
            rate_limit=_rate_limit_wait,
            transport=transport,
        )

    def fetch_issues(self, repo: str, *, since: datetime | None = None) -> FetchResult:
        """List the issues of `repo` ("owner/name") updated at or after `since`, all pages."""
        return FetchResult.from_pages(self.iter_pages(repo, since=since), since=since)

    def iter_pages(self, repo: str, *, since: datetime | None = None) -> Iterator[Page]:
        """Yield the listing page by page.

        Forgejo lists newest-created first, not by update time, so a cursor is only known once
        the last page is read: earlier pages carry `cursor=None`. An issue updated while paging
        keeps its place, so an update to one already read is not seen; the cursor therefore
        never passes the server's Date of the first page, and the next run reads such updates.
        One created or deleted shifts the pages, which the total count shows, and then the
        cursor stays at `since` so the next run reads the window again.
        """
        owner, name = _split_repo(repo)
        path = f"/api/v1/repos/{owner}/{name}/issues"
        params: dict[str, str | int] = {"state": "all", "type": "issues", "limit": self.limit}
        if since is not None:
            params["since"] = format_since(since)
        start = self.requests_made
        highest: datetime | None = None
        started: datetime | None = None
        totals: set[int] = set()
        page_number: int | None = 1
        while page_number is not None:
            response = self._http.get(
                path,
                params={**params, "page": page_number},
                on_rate_limit=lambda wait: RateLimited(wait, f"Forgejo rate limit on {repo}"),
            )
            if page_number == 1:
                started = _server_time(response)
            data = JsonHttp.json(response)
            if not isinstance(data, list):
                raise TrackerGarbage(f"Forgejo issues of {repo}: expected a list")
            total = int_header(response.headers, "x-total-count")
            if total is not None:
                totals.add(total)
            issues: list[RemoteIssue] = []
            skipped = 0
            for i, item in enumerate(data):
                fields = Fields(item, f"Forgejo issues of {repo}[{i}]")
                updated_at = fields.time("updated_at")
                if highest is None or updated_at > highest:
                    highest = updated_at
                if fields.has("pull_request"):
                    skipped += 1
                    continue
                issues.append(map_issue(item, repo))
            current = page_number
            page_number = self._next_page(response, current, len(data), total)
            cursor = None
            if page_number is None:
                cursor = since if len(totals) > 1 else highest
                if cursor is not None and started is not None:
                    cursor = min(cursor, started)
            yield Page(
                issues=tuple(issues),
                number=current,
                cursor=cursor,
                requests=self.requests_made - start,
                skipped_pull_requests=skipped,
                last=page_number is None,
            )

    @staticmethod
    def _next_page(
        response: httpx.Response, current: int, count: int, total: int | None
    ) -> int | None:
        if count == 0:
            return None
        # Follow rel="next" by page number on our own base URL: Forgejo builds Link from its
        # ROOT_URL, which differs from the address we reach it at behind a proxy.
        link = response.links.get("next")
        if link and link.get("url"):
            page = httpx.URL(link["url"]).params.get("page", "")
            if not page.isdigit() or int(page) <= current:
                raise TrackerGarbage("Forgejo Link rel=next has no later page")
            return int(page)
        if "link" not in response.headers and total is not None and current * count < total:
            return current + 1
        return None

    def get_issue(self, repo: str, number: int) -> RemoteIssue:
        """Fetch one issue by number."""
        owner, name = _split_repo(repo)
        response = self._http.get(
            f"/api/v1/repos/{owner}/{name}/issues/{int(number)}",
            on_rate_limit=lambda wait: RateLimited(wait, f"Forgejo rate limit on {repo}"),
        )
        return map_issue(JsonHttp.json(response), repo)


def map_issue(item: Any, repo: str) -> RemoteIssue:
    """Map one Gitea-shaped issue object onto RemoteIssue, validating every field used."""
    # Gitea sends "labels": null as well as "assignees": null when there are none.
    return map_github_shaped_issue(item, repo, tracker="forgejo", name="Forgejo", null_labels=True)
