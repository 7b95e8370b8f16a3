"""Local fake trackers that speak the GitLab v4, GitHub REST and Forgejo v1 wire formats.

Each fake is a threaded `http.server` on 127.0.0.1 (a free port) holding issues in memory. Start
one with `with FakeGitLab() as fake:` (or the `fake_gitlab` / `fake_github` / `fake_forgejo`
fixtures of tests/trackers/conftest.py) and point a client at `fake.url`.

Drive it from the test:
- issues: `add_issue(project, title=..., labels=..., updated_at=...)`, `add_issues(project, n)`,
  `update_issue(project, number, **changes)` (bumps updated_at), `close_issue`, `delete_issue`,
  `move_issue(project, number, to_project)` (GitLab's move), `transfer_issue` (GitHub's,
  answering 301 from the old number), `add_pull_request(repo)` (GitHub, Forgejo),
  `add_board(project, name, labels)` (GitLab). Times come from a fake clock (`tick()`), one
  second apart unless a test passes them, so equal timestamps are easy to make. The Date header
  of every answer is the fake clock at the time the answer was made.
- change during paging: `between_pages = lambda n: ...` runs after the n-th list answer that
  has a next page (counted from when it was set), before the client can ask for the next one;
  `before_request = lambda request: ...` before any request is answered.
- rate limits: `rate_limit_every = N` refuses every Nth request with 429 and Retry-After
  `rate_limit_retry_after`; GitLab's `rate=RateWindow(limit, window)` and GitHub's
  `rate_limit`/`rate_window` announce a budget in their headers and refuse once it is spent
  (`.refused` counts those refusals).
- pagination limits: GitLab's `max_offset` (405 past it) and `keyset=False` (405 on
  `pagination=keyset`); group issue listings refuse keyset, as GitLab's do.
- counts: GitLab `issues_statistics`, GitHub `/search/issues`, Forgejo's `X-Total-Count`.
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
from tests.trackers.fakes.server import (
    FakeIssue,
    FakeTracker,
    Fault,
    RateWindow,
    RecordedRequest,
)

__all__ = [
    "FakeForgejo",
    "FakeGitHub",
    "FakeGitLab",
    "FakeIssue",
    "FakeTracker",
    "Fault",
    "RateWindow",
    "RecordedRequest",
]
