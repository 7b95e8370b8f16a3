"""GitHub REST issues client on httpx (github.com or GitHub Enterprise at `<host>/api/v3`)."""

from __future__ import annotations

from collections.abc import Iterator
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
    TrackerNotFound,
    epoch_header,
    format_time,
    int_header,
    last_second_before,
)
from trackers.clients.fields import Fields, map_github_shaped_issue
from trackers.clients.seek import Seek

GITHUB_API = "https://api.github.com"


def github_limits(response: httpx.Response, resource: str) -> Limits:
    """Read GitHub's x-ratelimit-* headers; say how long to wait when the answer is a refusal.

    Primary limits answer 403 or 429 with x-ratelimit-remaining 0; secondary limits answer 403
    or 429 with retry-after, or only a message. Order per GitHub's docs: retry-after, then the
    reset time when nothing remains, then one minute.
    """
    headers = response.headers
    remaining = int_header(headers, "x-ratelimit-remaining")
    reset_at = epoch_header(headers, "x-ratelimit-reset")
    resource = headers.get("x-ratelimit-resource") or resource
    refused_for = None
    status = response.status_code
    if status in (403, 429):
        exhausted = remaining == 0
        if (
            status == 429
            or exhausted
            or "retry-after" in headers
            or b"rate limit" in response.content.lower()
        ):
            refused_for = wait_for(reset_at if exhausted else None, headers.get("retry-after"))
    return Limits(resource, remaining, reset_at, refused_for)


def _split_repo(repo: str) -> tuple[str, str]:
    owner, sep, name = repo.strip("/").partition("/")
    if not sep or not owner or not name or "/" in name:
        raise ValueError(f"expected 'owner/name', got {repo!r}")
    return owner, name


def _last_page(response: httpx.Response) -> int | None:
    link = response.links.get("last")
    page = httpx.URL(link["url"]).params.get("page", "") if link and link.get("url") else ""
    return int(page) if page.isdigit() else None


class GitHubClient(JsonClient):
    """List, count and fetch a repository's issues (pull requests excluded) via the REST API.

    Listings are sorted by update, oldest first, and paged by seek (trackers.clients.seek): a
    page is asked with `since` = the highest update time seen so far.
    """

    kind: ClassVar[str] = "github"
    supports_boards: ClassVar[bool] = False

    def __init__(
        self,
        *,
        base_url: str = GITHUB_API,
        token: str | None = None,
        timeout: float = 10.0,
        per_page: int = 100,
        budget: RateBudget | None = None,
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
            limits=github_limits,
            budget=budget or NoBudget(),
            transport=transport,
        )

    def iter_pages(self, request: ListingRequest) -> Iterator[Page]:
        """Yield the issues of `request.project` updated in [since, until), page by page.

        `request.etag` is the first page's ETag from the last listing with the same `since`:
        when nothing changed GitHub answers 304 (free of rate limit) and the page is
        `not_modified`.
        """
        repo = request.project
        owner, name = _split_repo(repo)
        path = f"/repos/{owner}/{name}/issues"
        seek = Seek.start(request.since, request.resume, per_page=self.per_page)
        until = request.until
        while True:
            params: dict[str, str | int] = {
                "state": "all",
                "sort": "updated",
                "direction": "asc",
                "per_page": self.per_page,
            }
            if seek.after is not None:
                params["since"] = format_time(seek.after)
            asked_page = seek.offset_page
            if asked_page > 1:
                params["page"] = asked_page
            conditional = request.etag and not request.resume and seek.pages == 0
            response = self._http.get(
                path,
                params=params,
                headers={"If-None-Match": request.etag} if conditional and request.etag else None,
                what=f"GitHub issues of {repo}",
            )
            if response.status_code == 304:
                yield Page(
                    issues=(),
                    number=1,
                    position={},
                    cursor=request.since,
                    last=True,
                    pages_total=1,
                    etag=response.headers.get("etag", request.etag),
                    not_modified=True,
                    rate_limit_remaining=self.rate_limit_remaining,
                )
                return
            data = JsonHttp.json(response)
            if not isinstance(data, list):
                raise TrackerGarbage(f"GitHub issues of {repo}: expected a list")
            issues: list[RemoteIssue] = []
            stamps: list[tuple[int, datetime]] = []
            skipped = 0
            beyond = False
            for i, item in enumerate(data):
                fields = Fields(item, f"GitHub issues of {repo}[{i}]")
                number, updated_at = fields.integer("number"), fields.time("updated_at")
                if until is not None and updated_at >= until:
                    beyond = True
                    continue
                stamps.append((number, updated_at))
                if not seek.fresh(number, updated_at):
                    continue  # read on the page before, at the time this page starts from
                if "pull_request" in item:
                    skipped += 1
                    continue
                issues.append(map_issue(item, repo))
            first_etag = response.headers.get("etag") if seek.pages == 0 else None
            has_next = self._has_next(response) and not beyond and bool(data)
            last_page = _last_page(response)
            seek.advance(stamps)
            pages_total = seek.pages
            if has_next:
                # The pages left of this query: an estimate of the listing's length.
                pages_total += max(1, last_page - asked_page) if last_page else 1
            yield Page(
                issues=tuple(issues),
                number=seek.pages,
                position=seek.position(),
                cursor=seek.cursor(request.since),
                last=not has_next,
                pages_total=pages_total,
                skipped_pull_requests=skipped,
                etag=first_etag,
                rate_limit_remaining=self.rate_limit_remaining,
            )
            if not has_next:
                return

    def count_issues(
        self, project: str, *, group: bool, since: datetime | None, until: datetime | None
    ) -> int:
        """Count through the search API (its own rate limit): issues only, no pull requests."""
        owner, name = _split_repo(project)
        low = format_time(since) if since is not None else "*"
        high = format_time(last_second_before(until)) if until is not None else "*"
        query = f"repo:{owner}/{name} is:issue"
        if since is not None or until is not None:
            query += f" updated:{low}..{high}"
        response = self._http.get(
            "/search/issues",
            params={"q": query, "per_page": 1},
            resource="search",
            what=f"GitHub issue count of {project}",
        )
        data = Fields(JsonHttp.json(response), f"GitHub issue count of {project}")
        return data.integer("total_count")

    def get_issue(self, project: str, number: int) -> RemoteIssue:
        """Fetch one issue by number; a pull request's number raises TrackerNotFound.

        A transferred issue answers from its new repository (GitHub redirects): its web_url
        then points there while its project_path stays `project`.
        """
        owner, name = _split_repo(project)
        response = self._http.get(
            f"/repos/{owner}/{name}/issues/{int(number)}", what=f"GitHub issue {project}#{number}"
        )
        data: Any = JsonHttp.json(response)
        if isinstance(data, dict) and "pull_request" in data:
            raise TrackerNotFound(f"{project}#{number} is a pull request")
        return map_issue(data, project)

    def _has_next(self, response: httpx.Response) -> bool:
        link = response.links.get("next")
        if not link or not link.get("url"):
            return False
        url = httpx.URL(link["url"])
        # The token travels with every request: never trust a link to another host.
        if url.copy_with(path="/", query=None, fragment=None) != self._origin:
            raise TrackerGarbage("GitHub Link rel=next points to another host")
        return True


def map_issue(item: Any, repo: str) -> RemoteIssue:
    """Map one GitHub issue object onto RemoteIssue, validating every field used."""
    return map_github_shaped_issue(item, repo, tracker="github", name="GitHub")
