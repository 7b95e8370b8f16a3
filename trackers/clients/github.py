"""GitHub REST issues client on httpx (github.com or GitHub Enterprise at `<host>/api/v3`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx

from trackers.clients._http import JsonClient, JsonHttp
from trackers.clients.base import (
    CursorTracker,
    FetchResult,
    Fields,
    Page,
    RateLimited,
    RemoteIssue,
    TrackerGarbage,
    TrackerNotFound,
    epoch_header,
    format_since,
    int_header,
    map_github_shaped_issue,
    retry_after_from_headers,
)

GITHUB_API = "https://api.github.com"


def _rate_limit_wait(response: httpx.Response) -> float | None:
    """Return the wait GitHub asks for when `response` is a rate limit, else None.

    Primary limits answer 403 or 429 with x-ratelimit-remaining 0; secondary limits answer 403
    or 429 with retry-after, or only a message. Order per GitHub's docs: retry-after, then the
    reset time when nothing remains, then one minute.
    """
    status = response.status_code
    if status not in (403, 429):
        return None
    headers = response.headers
    exhausted = headers.get("x-ratelimit-remaining") == "0"
    if status == 403 and not (
        exhausted or "retry-after" in headers or b"rate limit" in response.content.lower()
    ):
        return None
    if not exhausted:
        headers = httpx.Headers({k: v for k, v in headers.items() if k != "x-ratelimit-reset"})
    return retry_after_from_headers(headers, reset_header="x-ratelimit-reset")


def _split_repo(repo: str) -> tuple[str, str]:
    owner, sep, name = repo.strip("/").partition("/")
    if not sep or not owner or not name or "/" in name:
        raise ValueError(f"expected 'owner/name', got {repo!r}")
    return owner, name


class GitHubClient(JsonClient):
    """List and fetch a repository's issues (pull requests excluded) through the REST API."""

    kind = "github"

    def __init__(
        self,
        *,
        base_url: str = GITHUB_API,
        token: str | None = None,
        timeout: float = 10.0,
        max_retries: int = 2,
        backoff: float = 0.5,
        per_page: int = 100,
        user_agent: str = "fedimage",
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": user_agent,
        }
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.base_url = base_url.rstrip("/")
        self.authenticated = bool(token)
        self.per_page = per_page
        self._origin = httpx.URL(self.base_url).copy_with(path="/", query=None)
        self._http = JsonHttp(
            base_url=self.base_url,
            headers=headers,
            timeout=timeout,
            max_retries=max_retries,
            backoff=backoff,
            rate_limit=_rate_limit_wait,
            transport=transport,
        )

    def fetch_issues(
        self, repo: str, *, since: datetime | None = None, etag: str | None = None
    ) -> FetchResult:
        """List the issues of `repo` ("owner/name") updated at or after `since`, all pages.

        `etag` is the `FetchResult.etag` of the previous run with the same `since`; when nothing
        changed GitHub answers 304 (free of rate limit) and the result is `not_modified`.
        """
        return FetchResult.from_pages(self.iter_pages(repo, since=since, etag=etag), since=since)

    def iter_pages(
        self, repo: str, *, since: datetime | None = None, etag: str | None = None
    ) -> Iterator[Page]:
        """Yield the listing page by page, following Link rel="next" only."""
        owner, name = _split_repo(repo)
        params: dict[str, str | int] = {
            "state": "all",
            "sort": "updated",
            "direction": "asc",
            "per_page": self.per_page,
        }
        if since is not None:
            params["since"] = format_since(since)
        start = self.requests_made
        tracker = CursorTracker()
        url: str | None = f"/repos/{owner}/{name}/issues"
        number = 0
        while url is not None:
            number += 1
            headers = {"If-None-Match": etag} if etag and number == 1 else None
            response = self._http.get(
                url,
                params=params if number == 1 else None,
                headers=headers,
                on_rate_limit=lambda wait: RateLimited(wait, f"GitHub rate limit on {repo}"),
            )
            remaining = int_header(response.headers, "x-ratelimit-remaining")
            reset = epoch_header(response.headers, "x-ratelimit-reset")
            if response.status_code == 304:
                yield Page(
                    issues=(),
                    number=1,
                    cursor=since,
                    requests=self.requests_made - start,
                    rate_limit_remaining=remaining,
                    rate_limit_reset=reset,
                    etag=response.headers.get("etag", etag),
                    not_modified=True,
                    last=True,
                )
                return
            data = JsonHttp.json(response)
            if not isinstance(data, list):
                raise TrackerGarbage(f"GitHub issues of {repo}: expected a list")
            issues: list[RemoteIssue] = []
            stamps: list[tuple[Any, datetime]] = []
            skipped = 0
            for i, item in enumerate(data):
                fields = Fields(item, f"GitHub issues of {repo}[{i}]")
                stamps.append((fields.integer("number"), fields.time("updated_at")))
                if "pull_request" in item:
                    skipped += 1
                    continue
                issues.append(map_issue(item, repo))
            tracker.add_page(stamps)
            url = self._next_url(response)
            yield Page(
                issues=tuple(issues),
                number=number,
                cursor=tracker.cursor,
                requests=self.requests_made - start,
                skipped_pull_requests=skipped,
                rate_limit_remaining=remaining,
                rate_limit_reset=reset,
                etag=response.headers.get("etag") if number == 1 else None,
                last=url is None,
            )

    def get_issue(self, repo: str, number: int) -> RemoteIssue:
        """Fetch one issue by number; a pull request's number raises TrackerNotFound."""
        owner, name = _split_repo(repo)
        response = self._http.get(
            f"/repos/{owner}/{name}/issues/{int(number)}",
            on_rate_limit=lambda wait: RateLimited(wait, f"GitHub rate limit on {repo}"),
        )
        data = JsonHttp.json(response)
        if isinstance(data, dict) and "pull_request" in data:
            raise TrackerNotFound(f"{repo}#{number} is a pull request")
        return map_issue(data, repo)

    def _next_url(self, response: httpx.Response) -> str | None:
        link = response.links.get("next")
        if not link or not link.get("url"):
            return None
        url = httpx.URL(link["url"])
        # The token travels with every request: never follow a link to another host.
        if url.copy_with(path="/", query=None, fragment=None) != self._origin:
            raise TrackerGarbage("GitHub Link rel=next points to another host")
        return str(url)


def map_issue(item: Any, repo: str) -> RemoteIssue:
    """Map one GitHub issue object onto RemoteIssue, validating every field used."""
    return map_github_shaped_issue(item, repo, tracker="github", name="GitHub", null_labels=False)
