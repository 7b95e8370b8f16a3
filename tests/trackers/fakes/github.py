"""A fake GitHub REST API: repository issues (pull requests mixed in), ETags, rate limits."""

from __future__ import annotations

import hashlib
import json
import zlib
from datetime import UTC, datetime
from typing import Any

from tests.trackers.fakes.server import (
    FakeIssue,
    FakeTracker,
    RateWindow,
    RecordedRequest,
    Response,
    page_slice,
)

NOT_FOUND = Response(
    404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}
)


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeGitHub(FakeTracker):
    """GitHub REST at `<url><prefix>` (prefix "/api/v3" for GitHub Enterprise).

    Each non-304 answer spends one unit of the `core` budget (`rate_limit` per `rate_window`
    seconds, x-ratelimit-* headers); at zero the fake answers 403 "API rate limit exceeded"
    until the window resets or `reset_rate_limit()`. `/search/issues` (issue counts by
    `repo:`, `is:issue` and `updated:A..B`) spends the `search` budget (30 a minute). A
    configured `token` must come as `Authorization: Bearer` or `token` (else 401).
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        prefix: str = "",
        rate_limit: int = 5000,
        rate_window: float = 3600.0,
    ) -> None:
        super().__init__(token=token)
        self.prefix = prefix
        self.core = RateWindow(rate_limit, rate_window)
        self.search = RateWindow(30, 60.0)
        self.transferred: dict[tuple[str, int], tuple[str, int]] = {}

    def transfer_issue(self, repo: str, number: int, to_repo: str) -> FakeIssue:
        """Transfer an issue to another repository, as GitHub does: it leaves `repo`'s listing
        and its old URL answers 301 to the new one."""
        with self.lock:
            old = self.issues.pop((repo, number))
            new = self.add_issue(
                to_repo,
                title=old.title,
                body=old.body,
                labels=old.labels,
                assignees=old.assignees,
                author=old.author,
                created_at=old.created_at,
            )
            self.transferred[repo, number] = (to_repo, new.number)
            return new

    @property
    def rate_limit(self) -> int:
        return self.core.limit

    @property
    def rate_remaining(self) -> int:
        return self.core.remaining

    def reset_rate_limit(self) -> None:
        with self.lock:
            self.core.remaining = self.core.limit

    def render(self, issue: FakeIssue) -> dict[str, Any]:
        """The issue (or pull request) as GitHub's issues API returns it."""
        api = f"https://api.github.com/repos/{issue.project}"
        html = f"https://github.com/{issue.project}"

        def user(login: str) -> dict[str, Any]:
            return {
                "login": login,
                "id": zlib.crc32(login.encode()) % 10**7,
                "node_id": f"U_{login}",
                "avatar_url": f"https://avatars.githubusercontent.com/{login}",
                "url": f"https://api.github.com/users/{login}",
                "html_url": f"https://github.com/{login}",
                "type": "User",
                "site_admin": False,
            }

        kind = "pull" if issue.is_pull_request else "issues"
        assignees = [user(a) for a in issue.assignees]
        data: dict[str, Any] = {
            "url": f"{api}/issues/{issue.number}",
            "repository_url": api,
            "labels_url": f"{api}/issues/{issue.number}/labels{{/name}}",
            "comments_url": f"{api}/issues/{issue.number}/comments",
            "events_url": f"{api}/issues/{issue.number}/events",
            "html_url": f"{html}/{kind}/{issue.number}",
            "id": issue.id,
            "node_id": f"I_{issue.id}",
            "number": issue.number,
            "title": issue.title,
            "user": user(issue.author),
            "labels": [
                {
                    "id": zlib.crc32(name.encode()),
                    "node_id": f"LA_{name}",
                    "url": f"{api}/labels/{name}",
                    "name": name,
                    "color": "ededed",
                    "default": False,
                    "description": None,
                }
                for name in issue.labels
            ],
            "state": issue.state,
            "locked": False,
            "assignee": assignees[0] if assignees else None,
            "assignees": assignees,
            "milestone": None
            if issue.milestone is None
            else {
                "url": f"{api}/milestones/1",
                "html_url": f"{html}/milestone/1",
                "id": zlib.crc32(issue.milestone.encode()),
                "number": 1,
                "title": issue.milestone,
                "description": None,
                "state": "open",
                "open_issues": 1,
                "closed_issues": 0,
                "created_at": _time(issue.created_at),
                "updated_at": _time(issue.created_at),
                "due_on": None,
                "closed_at": None,
            },
            "comments": 0,
            "created_at": _time(issue.created_at),
            "updated_at": _time(issue.updated_at),
            "closed_at": _time(issue.closed_at),
            "author_association": "MEMBER",
            "active_lock_reason": None,
            "body": issue.body or None,
            "reactions": {"url": f"{api}/issues/{issue.number}/reactions", "total_count": 0},
            "timeline_url": f"{api}/issues/{issue.number}/timeline",
            "performed_via_github_app": None,
            "state_reason": issue.state_reason,
        }
        if issue.is_pull_request:
            data["draft"] = False
            data["pull_request"] = {
                "url": f"{api}/pulls/{issue.number}",
                "html_url": f"{html}/pull/{issue.number}",
                "diff_url": f"{html}/pull/{issue.number}.diff",
                "patch_url": f"{html}/pull/{issue.number}.patch",
                "merged_at": None,
            }
        return data

    def handle(self, request: RecordedRequest) -> Response:
        auth = request.headers.get("authorization", "")
        scheme, _, credential = auth.partition(" ")
        if self.token is not None and (
            scheme.lower() not in ("bearer", "token") or credential != self.token
        ):
            return Response(401, {"message": "Bad credentials"})
        searching = request.path == self.prefix + "/search/issues"
        window, resource = (self.search, "search") if searching else (self.core, "core")
        response = self._search(request) if searching else self._route(request)
        window.roll()
        if response.status != 304 and not window.take():
            response = Response(
                403,
                {
                    "message": "API rate limit exceeded for 127.0.0.1.",
                    "documentation_url": "https://docs.github.com/rest/rate-limit",
                },
            )
        response.headers.update(
            {
                "x-ratelimit-limit": str(window.limit),
                "x-ratelimit-remaining": str(max(0, window.remaining)),
                "x-ratelimit-used": str(window.limit - max(0, window.remaining)),
                "x-ratelimit-reset": str(window.reset_epoch),
                "x-ratelimit-resource": resource,
            }
        )
        return response

    def _search(self, request: RecordedRequest) -> Response:
        """Issue search, as far as counting goes: `repo:o/r is:issue updated:A..B`."""
        terms = (request.param("q") or "").split()
        repo = next((t[5:] for t in terms if t.startswith("repo:")), None)
        if repo is None:
            return Response(422, {"message": "Validation Failed"})
        issues = list(self.project_issues(repo))
        if "is:issue" in terms:
            issues = [i for i in issues if not i.is_pull_request]
        for term in terms:
            if term.startswith("updated:"):
                low, _, high = term[8:].partition("..")
                if low != "*":
                    issues = [i for i in issues if i.updated_at >= self.parse_time(low)]
                if high != "*":
                    issues = [i for i in issues if i.updated_at <= self.parse_time(high)]
        per_page = self.int_param(request, "per_page", 30, 100)
        body = {
            "total_count": len(issues),
            "incomplete_results": False,
            "items": [self.render(i) for i in issues[:per_page]],
        }
        return Response(200, body)

    def _route(self, request: RecordedRequest) -> Response:
        if not request.path.startswith(self.prefix + "/repos/"):
            return NOT_FOUND
        parts = request.path[len(self.prefix) :].split("/")
        # ['', 'repos', owner, repo, 'issues', (number)]
        if len(parts) < 5 or parts[4] != "issues":
            return NOT_FOUND
        repo = f"{parts[2]}/{parts[3]}"
        if len(parts) == 6 and parts[5].isdigit() and (repo, int(parts[5])) in self.transferred:
            to_repo, to_number = self.transferred[repo, int(parts[5])]
            url = f"{self.url}{self.prefix}/repos/{to_repo}/issues/{to_number}"
            return Response(301, {"message": "Moved Permanently", "url": url}, {"Location": url})
        if len(parts) == 6 and parts[5].isdigit():
            issue = self.issues.get((repo, int(parts[5])))
            return NOT_FOUND if issue is None else Response(200, self.render(issue))
        if len(parts) != 5 or repo not in self.projects:
            return NOT_FOUND
        return self._list(request, repo)

    def _list(self, request: RecordedRequest, repo: str) -> Response:
        issues = self.project_issues(repo)
        state = request.param("state") or "open"
        if state in ("open", "closed"):
            issues = [i for i in issues if i.state == state]
        if since := request.param("since"):
            when = self.parse_time(since)
            issues = [i for i in issues if i.updated_at >= when]
        key = "updated_at" if request.param("sort") == "updated" else "created_at"
        descending = (request.param("direction") or "desc") == "desc"
        issues.sort(key=lambda i: (getattr(i, key), i.number), reverse=descending)
        per_page = self.int_param(request, "per_page", 30, 100)
        page = self.int_param(request, "page", 1, 10**9)
        chunk, pages = page_slice(issues, page, per_page)
        body = [self.render(i) for i in chunk]
        has_next = page < pages
        rels: dict[str, int] = {}
        if page > 1:
            rels["prev"] = page - 1
            rels["first"] = 1
        if has_next:
            rels["next"] = page + 1
            rels["last"] = pages
        headers = {"Cache-Control": "private, max-age=60, s-maxage=60", "Vary": "Authorization"}
        if rels:
            headers["Link"] = self.link_header(f"{self.url}{request.path}", request.query, rels)
        # ETags vary with the Authorization header, as GitHub's do.
        digest = hashlib.sha256(
            json.dumps(body).encode() + request.headers.get("authorization", "").encode()
        ).hexdigest()[:40]
        etag = f'W/"{digest}"'
        headers["ETag"] = etag
        if etag in _etags(request.headers.get("if-none-match", "")):
            return Response(304, headers=headers)
        return Response(200, body, headers=headers, page=page, has_next=has_next)

    def rate_limit_headers(self, fault: Any) -> dict[str, str]:
        headers = super().rate_limit_headers(fault)
        if fault.reset_in is not None:
            headers["x-ratelimit-remaining"] = "0"
            headers["x-ratelimit-reset"] = str(self.now_epoch() + fault.reset_in)
        return headers


def _etags(header: str) -> set[str]:
    return {tag.strip() for tag in header.split(",") if tag.strip()}
