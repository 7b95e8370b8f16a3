"""Local fake trackers that speak the GitLab v4, GitHub REST and Forgejo v1 wire formats.

Each fake is a threaded `http.server` on 127.0.0.1 (a free port) holding issues in memory. Start
one with `with FakeGitLab() as fake:` (or the `fake_gitlab` / `fake_github` / `fake_forgejo`
fixtures of tests/trackers/conftest.py) and point a client at `fake.url`.

Drive it from the test:
- issues: `add_issue(project, title=..., labels=..., updated_at=...)`, `add_issues(project, n)`,
  `update_issue(project, number, **changes)` (bumps updated_at), `close_issue`, `delete_issue`,
  `move_issue(project, number, to_project)`, `add_pull_request(repo)` (GitHub, Forgejo),
  `add_board(project, name, labels)` (GitLab). Times come from a fake clock (`tick()`), one
  second apart unless a test passes them, so equal timestamps are easy to make. The Date header
  of every answer is the fake clock at the time the answer was made.
- change during paging: `between_pages = lambda page: ...` runs after a list page that has a
  next page is answered, before the client can ask for the next one.
- faults: `fail_next(Fault.rate_limited(retry_after=30), times=1)`, `Fault.server_error(502)`,
  `Fault.html_page()`, `Fault.truncated_json()`, `Fault.wrong_type("title", 5)`; queued faults
  answer the next requests in order, whatever their path.
- the request log: `requests` (`RecordedRequest` with path, query, lower-case headers),
  `requests_to("/issues")`, `clear_requests()`.
Issues are rendered with each tracker's real field set (see the `render` methods).
"""

from tests.trackers.fakes.forgejo import FakeForgejo
from tests.trackers.fakes.github import FakeGitHub
from tests.trackers.fakes.gitlab import FakeGitLab
from tests.trackers.fakes.server import FakeIssue, FakeTracker, Fault, RecordedRequest

__all__ = [
    "FakeForgejo",
    "FakeGitHub",
    "FakeGitLab",
    "FakeIssue",
    "FakeTracker",
    "Fault",
    "RecordedRequest",
]
