"""A fake GitLab REST v4: project and group issues, one issue, boards and board lists."""

from __future__ import annotations

import base64
import itertools
import json
import zlib
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlencode

from tests.trackers.fakes.server import (
    FakeIssue,
    FakeTracker,
    RateWindow,
    RecordedRequest,
    Response,
    page_slice,
)

NOT_FOUND = Response(404, {"message": "404 Not found"})


def _time(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FakeGitLab(FakeTracker):
    """GitLab v4 at `<url>/api/v4`; projects are addressed by id or URL-encoded path.

    A configured `token` must come in PRIVATE-TOKEN (else 401); anonymous requests are served
    when no token is configured, without confidential issues.

    Pagination as GitLab's: offset (`page`) everywhere, refused with 405 past `max_offset`
    items (50,000 on gitlab.com); keyset (`pagination=keyset`, a `cursor` in the Link
    rel="next") on project issues only, 405 on group issues. `rate` (a RateWindow) makes every
    answer carry RateLimit-Limit/-Remaining/-Reset and refuses with 429 once it is spent.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        web_url: str = "https://gitlab.com",
        max_offset: int = 50_000,
        rate: RateWindow | None = None,
        keyset: bool = True,
    ) -> None:
        super().__init__(token=token)
        self.web_url = web_url
        self.max_offset = max_offset
        self.rate = rate
        self.keyset = keyset  # False: a GitLab that refuses keyset for issues (405)
        self.project_ids: dict[str, int] = {}
        self.boards: dict[str, list[dict[str, Any]]] = {}
        self._project_ids = itertools.count(101)
        self._board_ids = itertools.count(1)

    def project_id(self, path: str) -> int:
        """Return (assigning on first use) the numeric id of project `path`."""
        with self.lock:
            if path not in self.project_ids:
                self.project_ids[path] = next(self._project_ids)
                self.projects.add(path)
            return self.project_ids[path]

    def add_project(self, project: str) -> None:
        self.project_id(project)

    def add_board(
        self, project: str, name: str, labels: list[str], *, assignee_list: bool = False
    ) -> int:
        """Add a board whose label lists are `labels` in order; optionally an assignee list."""
        with self.lock:
            board_id = next(self._board_ids)
            lists: list[dict[str, Any]] = [
                {
                    "id": board_id * 100 + position,
                    "label": {
                        "id": board_id * 1000 + position,
                        "name": label,
                        "color": "#428BCA",
                        "description": None,
                        "text_color": "#FFFFFF",
                    },
                    "position": position,
                    "max_issue_count": 0,
                    "max_issue_weight": 0,
                    "limit_metric": None,
                }
                for position, label in enumerate(labels)
            ]
            if assignee_list:
                lists.append(
                    {
                        "id": board_id * 100 + 99,
                        "label": None,
                        "assignee": {"id": 1, "username": "nimbinatus"},
                        "list_type": "assignee",
                        "position": len(labels),
                        "max_issue_count": 0,
                    }
                )
            self.boards.setdefault(project, []).append(
                {
                    "id": board_id,
                    "name": name,
                    "hide_backlog_list": False,
                    "hide_closed_list": False,
                    "project": {"id": self.project_id(project), "path_with_namespace": project},
                    "milestone": None,
                    "lists": lists,
                }
            )
            return board_id

    def render(self, issue: FakeIssue) -> dict[str, Any]:
        """The issue as GitLab's API returns it."""
        project_url = f"{self.web_url}/{issue.project}"

        def user(name: str) -> dict[str, Any]:
            return {
                "id": zlib.crc32(name.encode()) % 100000,
                "username": name,
                "name": name.title(),
                "state": "active",
                "locked": False,
                "avatar_url": None,
                "web_url": f"{self.web_url}/{name}",
            }

        assignees = [user(a) for a in issue.assignees]
        ref = f"#{issue.number}"
        return {
            "id": issue.id,
            "iid": issue.number,
            "project_id": self.project_id(issue.project),
            "title": issue.title,
            "description": issue.body or None,
            "state": "opened" if issue.state == "open" else "closed",
            "created_at": _time(issue.created_at),
            "updated_at": _time(issue.updated_at),
            "closed_at": _time(issue.closed_at),
            "closed_by": user(issue.author) if issue.state == "closed" else None,
            "labels": list(issue.labels),
            "milestone": None
            if issue.milestone is None
            else {
                "id": zlib.crc32(issue.milestone.encode()) % 10000,
                "iid": 1,
                "project_id": self.project_id(issue.project),
                "title": issue.milestone,
                "description": "",
                "state": "active",
                "created_at": _time(issue.created_at),
                "updated_at": _time(issue.created_at),
                "due_date": None,
                "start_date": None,
                "expired": False,
                "web_url": f"{project_url}/-/milestones/1",
            },
            "assignees": assignees,
            "assignee": assignees[0] if assignees else None,
            "author": user(issue.author),
            "type": "ISSUE",
            "issue_type": "issue",
            "user_notes_count": 0,
            "merge_requests_count": 0,
            "upvotes": 0,
            "downvotes": 0,
            "due_date": None,
            "confidential": issue.confidential,
            "discussion_locked": None,
            "web_url": f"{project_url}/-/issues/{issue.number}",
            "time_stats": {
                "time_estimate": 0,
                "total_time_spent": 0,
                "human_time_estimate": None,
                "human_total_time_spent": None,
            },
            "task_completion_status": {"count": 0, "completed_count": 0},
            "has_tasks": False,
            "references": {"short": ref, "relative": ref, "full": f"{issue.project}{ref}"},
            "severity": "UNKNOWN",
            "moved_to_id": issue.moved_to_id,
            "service_desk_reply_to": None,
        }

    def handle(self, request: RecordedRequest) -> Response:
        if self.rate is not None:
            if not self.rate.take():
                wait = self.rate.wait()
                response = Response(429, {"message": "Retry later"})
                response.headers["Retry-After"] = str(wait)
            else:
                response = self._route(request)
            response.headers.update(
                {
                    "RateLimit-Limit": str(self.rate.limit),
                    "RateLimit-Remaining": str(self.rate.remaining),
                    "RateLimit-Reset": str(self.rate.reset_epoch),
                }
            )
            return response
        return self._route(request)

    def _route(self, request: RecordedRequest) -> Response:
        if self.token is not None and request.headers.get("private-token") != self.token:
            return Response(401, {"message": "401 Unauthorized"})
        anonymous = "private-token" not in request.headers
        parts = request.path.split("/")
        # ['', 'api', 'v4', 'projects'|'groups', '<id>', ...] with <id> still URL-encoded
        if len(parts) < 6 or parts[1:3] != ["api", "v4"]:
            return NOT_FOUND
        scope, ident, rest = parts[3], unquote(parts[4]), parts[5:]
        if scope == "groups" and rest in (["issues"], ["issues_statistics"]):
            issues = [
                i
                for (p, _), i in self.issues.items()
                if p.startswith(ident + "/") and not i.is_pull_request
            ]
            if rest == ["issues_statistics"]:
                return self._statistics(request, issues, anonymous)
            if request.param("pagination") == "keyset":
                return Response(405, {"message": "405 Method Not Allowed"})
            return self._list(request, issues, anonymous)
        if scope != "projects":
            return NOT_FOUND
        project = self._project(ident)
        if project is None:
            return NOT_FOUND
        if rest == ["issues"]:
            return self._list(request, self.project_issues(project), anonymous)
        if rest == ["issues_statistics"]:
            return self._statistics(request, self.project_issues(project), anonymous)
        if len(rest) == 2 and rest[0] == "issues" and rest[1].isdigit():
            issue = self.issues.get((project, int(rest[1])))
            if issue is None or (anonymous and issue.confidential):
                return NOT_FOUND
            return Response(200, self.render(issue))
        if rest == ["boards"]:
            return self._paged(request, self.boards.get(project, []))
        if len(rest) == 3 and rest[0] == "boards" and rest[2] == "lists":
            for board in self.boards.get(project, []):
                if str(board["id"]) == rest[1]:
                    return self._paged(request, board["lists"])
        return NOT_FOUND

    def _project(self, ident: str) -> str | None:
        if ident.isdigit():
            return next((p for p, i in self.project_ids.items() if i == int(ident)), None)
        return ident if ident in self.project_ids else None

    def _filtered(
        self, request: RecordedRequest, issues: list[FakeIssue], anonymous: bool
    ) -> list[FakeIssue]:
        if anonymous:
            issues = [i for i in issues if not i.confidential]
        state = request.param("state")
        if state in ("opened", "closed"):
            want = "open" if state == "opened" else "closed"
            issues = [i for i in issues if i.state == want]
        # Both bounds inclusive, like GitLab's.
        if after := request.param("updated_after"):
            since = self.parse_time(after)
            issues = [i for i in issues if i.updated_at >= since]
        if before := request.param("updated_before"):
            until = self.parse_time(before)
            issues = [i for i in issues if i.updated_at <= until]
        return issues

    def _statistics(
        self, request: RecordedRequest, issues: list[FakeIssue], anonymous: bool
    ) -> Response:
        issues = self._filtered(request, issues, anonymous)
        opened = sum(1 for i in issues if i.state == "open")
        counts = {"all": len(issues), "closed": len(issues) - opened, "opened": opened}
        return Response(200, {"statistics": {"counts": counts}})

    def _list(self, request: RecordedRequest, issues: list[FakeIssue], anonymous: bool) -> Response:
        issues = self._filtered(request, issues, anonymous)
        order = request.param("order_by") or "created_at"
        key = order if order in ("updated_at", "id") else "created_at"
        descending = (request.param("sort") or "desc") == "desc"
        issues.sort(key=lambda i: (getattr(i, key), i.id), reverse=descending)
        if request.param("pagination") == "keyset":
            if not self.keyset:
                return Response(405, {"message": "405 Method Not Allowed"})
            return self._keyset(request, issues, key, descending)
        return self._paged(request, issues, render=True)

    def _keyset(
        self, request: RecordedRequest, issues: list[FakeIssue], key: str, descending: bool
    ) -> Response:
        """Keyset pagination: the page after the (value, id) the `cursor` names."""
        per_page = self.int_param(request, "per_page", 20, 100)
        if cursor := request.param("cursor"):
            try:
                mark = json.loads(base64.urlsafe_b64decode(cursor.encode()))
                after = (self.parse_time(mark["v"]) if key != "id" else mark["v"], mark["id"])
            except (ValueError, KeyError, TypeError):
                return Response(400, {"message": "400 Bad request - invalid cursor"})

            def beyond(issue: FakeIssue) -> bool:
                here = (getattr(issue, key), issue.id)
                return here < after if descending else here > after

            remaining = [i for i in issues if beyond(i)]
        else:
            remaining = issues
        # The page number this answer would have by offset: what the between-pages hook is told.
        page = (len(issues) - len(remaining)) // per_page + 1
        issues = remaining
        chunk = issues[:per_page]
        headers = {"X-Per-Page": str(per_page)}
        has_next = len(issues) > per_page
        if has_next:
            last = chunk[-1]
            value = last.id if key == "id" else getattr(last, key).isoformat()
            mark = base64.urlsafe_b64encode(json.dumps({"v": value, "id": last.id}).encode())
            params = {k: v[-1] for k, v in request.query.items() if k not in ("cursor", "page")}
            params["cursor"] = mark.decode()
            headers["Link"] = f'<{self.url}{request.path}?{urlencode(params)}>; rel="next"'
        body = [self.render(i) for i in chunk]
        return Response(200, body, headers=headers, page=page, has_next=has_next)

    def _paged(
        self, request: RecordedRequest, items: list[Any], *, render: bool = False
    ) -> Response:
        per_page = self.int_param(request, "per_page", 20, 100)
        page = self.int_param(request, "page", 1, 10**9)
        if page * per_page > self.max_offset:
            return Response(
                405,
                {
                    "error": f"Offset pagination has a maximum allowed offset of "
                    f"{self.max_offset} for requests that return objects of type Issue. "
                    "Remaining records can be retrieved using keyset pagination."
                },
            )
        chunk, pages = page_slice(items, page, per_page)
        body = [self.render(i) for i in chunk] if render else chunk
        has_next = page < pages
        headers = {
            "X-Page": str(page),
            "X-Per-Page": str(per_page),
            "X-Next-Page": str(page + 1) if has_next else "",
            "X-Prev-Page": str(page - 1) if page > 1 else "",
        }
        rels: dict[str, int] = {}
        if page > 1:
            rels["prev"] = page - 1
        if has_next:
            rels["next"] = page + 1
        rels["first"] = 1
        # Above 10,000 records GitLab leaves out the totals and rel="last".
        if len(items) <= 10_000:
            headers["X-Total"] = str(len(items))
            headers["X-Total-Pages"] = str(pages)
            rels["last"] = pages
        headers["Link"] = self.link_header(f"{self.url}{request.path}", request.query, rels)
        return Response(200, body, headers=headers, page=page, has_next=has_next)

    def rate_limit_headers(self, fault: Any) -> dict[str, str]:
        headers = super().rate_limit_headers(fault)
        headers["RateLimit-Limit"] = "2000"
        headers["RateLimit-Remaining"] = "0"
        if fault.reset_in is not None:
            headers["RateLimit-Reset"] = str(self.now_epoch() + fault.reset_in)
        return headers
