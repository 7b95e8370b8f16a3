"""A fake Forgejo (Gitea-shaped) API v1: repository issues with Link and X-Total-Count."""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta, timezone
from typing import Any

from tests.trackers.fakes.server import (
    FakeIssue,
    FakeTracker,
    RecordedRequest,
    Response,
    page_slice,
)

NOT_FOUND = Response(404, {"errors": None, "message": "The target couldn't be found.", "url": ""})

# Forgejo writes times in the server's zone; a non-UTC one keeps the clients honest.
SERVER_TZ = timezone(timedelta(hours=1))


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(SERVER_TZ).isoformat(timespec="seconds")


class FakeForgejo(FakeTracker):
    """Forgejo at `<url>/api/v1`; lists newest-created first, like Gitea's issue search.

    `root_url` is what the server thinks it is called (Link headers use it, as Forgejo's ROOT_URL
    does); it defaults to the fake's own address. A configured `token` must come as
    `Authorization: token <t>` (else 401). `max_limit` caps `limit` (Forgejo's MAX_RESPONSE_ITEMS).
    """

    def __init__(
        self, *, token: str | None = None, root_url: str | None = None, max_limit: int = 50
    ) -> None:
        super().__init__(token=token)
        self.root_url = root_url
        self.max_limit = max_limit

    def render(self, issue: FakeIssue) -> dict[str, Any]:
        """The issue (or pull request) as Forgejo's API returns it."""
        root = (self.root_url or "https://forge.fedoraproject.org").rstrip("/")
        owner, name = issue.project.split("/", 1)

        def user(login: str) -> dict[str, Any]:
            return {
                "id": zlib.crc32(login.encode()) % 10**6,
                "login": login,
                "login_name": "",
                "source_id": 0,
                "full_name": login.title(),
                "email": f"{login}@noreply.forge.fedoraproject.org",
                "avatar_url": f"{root}/avatars/{login}",
                "html_url": f"{root}/{login}",
                "language": "",
                "is_admin": False,
                "restricted": False,
                "active": False,
                "prohibit_login": False,
                "visibility": "public",
                "username": login,
            }

        kind = "pulls" if issue.is_pull_request else "issues"
        return {
            "id": issue.id,
            "url": f"{root}/api/v1/repos/{issue.project}/issues/{issue.number}",
            "html_url": f"{root}/{issue.project}/{kind}/{issue.number}",
            "number": issue.number,
            "user": user(issue.author),
            "original_author": issue.original_author,
            "original_author_id": zlib.crc32(issue.original_author.encode()) % 10**6
            if issue.original_author
            else 0,
            "title": issue.title,
            "body": issue.body,
            "ref": "",
            "assets": [],
            "labels": [
                {
                    "id": zlib.crc32(label.encode()) % 10**6,
                    "name": label,
                    "exclusive": False,
                    "is_archived": False,
                    "color": "e11d21",
                    "description": "",
                    "url": f"{root}/api/v1/repos/{issue.project}/labels/1",
                }
                for label in issue.labels
            ],
            "milestone": None
            if issue.milestone is None
            else {
                "id": zlib.crc32(issue.milestone.encode()) % 10**6,
                "title": issue.milestone,
                "description": "",
                "state": "open",
                "open_issues": 1,
                "closed_issues": 0,
                "created_at": _time(issue.created_at),
                "updated_at": _time(issue.created_at),
                "closed_at": None,
                "due_on": None,
            },
            "assignee": user(issue.assignees[0]) if issue.assignees else None,
            # Gitea sends null, not [], for no assignees.
            "assignees": [user(a) for a in issue.assignees] or None,
            "state": issue.state,
            "is_locked": False,
            "comments": 0,
            "created_at": _time(issue.created_at),
            "updated_at": _time(issue.updated_at),
            "closed_at": _time(issue.closed_at),
            "due_date": None,
            "pull_request": {"merged": False, "merged_at": None, "draft": False, "html_url": ""}
            if issue.is_pull_request
            else None,
            "repository": {
                "id": zlib.crc32(issue.project.encode()) % 10**6,
                "name": name,
                "owner": owner,
                "full_name": issue.project,
            },
            "pin_order": 0,
        }

    def handle(self, request: RecordedRequest) -> Response:
        if self.token is not None and request.headers.get("authorization") != f"token {self.token}":
            return Response(401, {"message": "user does not exist [uid: 0, name: ]", "url": ""})
        parts = request.path.split("/")
        # ['', 'api', 'v1', 'repos', owner, repo, 'issues', (number)]
        if len(parts) < 7 or parts[1:4] != ["api", "v1", "repos"] or parts[6] != "issues":
            return NOT_FOUND
        repo = f"{parts[4]}/{parts[5]}"
        if repo not in self.projects:
            return NOT_FOUND
        if len(parts) == 8 and parts[7].isdigit():
            issue = self.issues.get((repo, int(parts[7])))
            return NOT_FOUND if issue is None else Response(200, self.render(issue))
        if len(parts) != 7:
            return NOT_FOUND
        issues = self.project_issues(repo)
        state = request.param("state") or "open"
        if state in ("open", "closed"):
            issues = [i for i in issues if i.state == state]
        kind = request.param("type")
        if kind == "issues":
            issues = [i for i in issues if not i.is_pull_request]
        elif kind == "pulls":
            issues = [i for i in issues if i.is_pull_request]
        # Both bounds inclusive, like Gitea's updated_unix >= since and <= before.
        if since := request.param("since"):
            when = self.parse_time(since)
            issues = [i for i in issues if i.updated_at >= when]
        if before := request.param("before"):
            when = self.parse_time(before)
            issues = [i for i in issues if i.updated_at <= when]
        issues.sort(key=lambda i: (i.created_at, i.id), reverse=True)
        limit = self.int_param(request, "limit", 30, self.max_limit)
        page = self.int_param(request, "page", 1, 10**9)
        chunk, pages = page_slice(issues, page, limit)
        has_next = page < pages
        rels: dict[str, int] = {}
        if has_next:
            rels["next"] = page + 1
            rels["last"] = pages
        if page > 1:
            rels["first"] = 1
            rels["prev"] = page - 1
        headers = {"X-Total-Count": str(len(issues)), "Access-Control-Expose-Headers": "Link"}
        if rels:
            query = {**request.query, "limit": [str(limit)]}
            base = f"{(self.root_url or self.url).rstrip('/')}{request.path}"
            headers["Link"] = self.link_header(base, query, rels)
        body = [self.render(i) for i in chunk]
        return Response(200, body, headers=headers, page=page, has_next=has_next)
