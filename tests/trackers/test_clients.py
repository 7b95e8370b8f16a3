"""The tracker clients against local fakes that speak GitLab v4, GitHub REST and Forgejo v1.

Cursor rule these tests pin down for the sync service: store `FetchResult.cursor`, pass it back
as `since` unchanged (every tracker's filter is inclusive) and upsert on (project, number).
"""

import traceback
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.trackers.conftest import FORGEJO_TOKEN, GITHUB_TOKEN, GITLAB_TOKEN
from tests.trackers.fakes import FakeForgejo, FakeGitHub, FakeGitLab, Fault
from trackers.clients.base import (
    RateLimited,
    TrackerAuthError,
    TrackerGarbage,
    TrackerNotFound,
    TrackerUnavailable,
)
from trackers.clients.forgejo import ForgejoClient
from trackers.clients.github import GitHubClient
from trackers.clients.gitlab import GitLabClient

PROJECT = "fedora/bootc/tracker"
REPO = "bootc-dev/bootc"
FORGE_REPO = "atomic-desktops/tracker"


@pytest.fixture
def gitlab(fake_gitlab: FakeGitLab) -> Iterator[GitLabClient]:
    with GitLabClient(base_url=fake_gitlab.url, token=GITLAB_TOKEN, per_page=3) as client:
        yield client


@pytest.fixture
def github(fake_github: FakeGitHub) -> Iterator[GitHubClient]:
    with GitHubClient(
        base_url=fake_github.url, token=GITHUB_TOKEN, per_page=3, backoff=0
    ) as client:
        yield client


@pytest.fixture
def forgejo(fake_forgejo: FakeForgejo) -> Iterator[ForgejoClient]:
    with ForgejoClient(
        base_url=fake_forgejo.url, token=FORGEJO_TOKEN, limit=3, backoff=0
    ) as client:
        yield client


def numbers(result) -> list[int]:
    return [issue.number for issue in result.issues]


def assert_secret_hidden(exc: BaseException, *objects: object, secret: str) -> None:
    text = "".join(traceback.format_exception(exc))
    chain: BaseException | None = exc
    while chain is not None:
        text += str(chain) + repr(chain) + repr(chain.args)
        chain = chain.__cause__ or chain.__context__
    text += "".join(repr(o) for o in objects)
    assert secret not in text


# GitLab


def test_gitlab_first_listing_reads_every_page_oldest_update_first(fake_gitlab, gitlab):
    fake_gitlab.add_issues(PROJECT, 6)
    fake_gitlab.add_issue(
        PROJECT,
        title="Release race condition in Konflux",
        body="rawhide-standard went unpublished",
        labels=["konflux", "bug"],
        milestone="Fedora 44",
        assignees=["nimbinatus", "jspaleta"],
        author="jbtrystram",
        confidential=True,
    )
    fake_gitlab.close_issue(PROJECT, 2)

    result = gitlab.fetch_issues(PROJECT)

    assert numbers(result) == [1, 3, 4, 5, 6, 7, 2]
    assert (result.pages, result.requests) == (3, 3)
    assert result.cursor == fake_gitlab.issues[PROJECT, 2].updated_at
    konflux = result.issues[5]
    assert konflux.title == "Release race condition in Konflux"
    assert konflux.body == "rawhide-standard went unpublished"
    assert konflux.labels == ("konflux", "bug")
    assert konflux.milestone == "Fedora 44"
    assert konflux.assignees == ("nimbinatus", "jspaleta")
    assert konflux.author == "jbtrystram"
    assert konflux.confidential is True
    assert konflux.state == "open"
    assert konflux.project_path == PROJECT
    assert konflux.web_url == f"https://gitlab.com/{PROJECT}/-/issues/7"
    assert konflux.created_at.tzinfo is not None
    closed = result.issues[-1]
    assert closed.state == "closed"
    assert closed.closed_at == fake_gitlab.issues[PROJECT, 2].closed_at
    first = fake_gitlab.requests[0]
    assert first.path == "/api/v4/projects/fedora%2Fbootc%2Ftracker/issues"
    assert first.param("order_by") == "updated_at"
    assert first.param("sort") == "asc"
    assert first.param("per_page") == "3"
    assert first.param("state") is None
    assert first.param("updated_after") is None
    assert all(r.headers["private-token"] == GITLAB_TOKEN for r in fake_gitlab.requests)


def test_gitlab_cursor_returns_only_issues_changed_since(fake_gitlab, gitlab):
    fake_gitlab.add_issues(PROJECT, 8)
    first = gitlab.fetch_issues(PROJECT)
    fake_gitlab.update_issue(PROJECT, 2, labels=["triaged"])
    fake_gitlab.close_issue(PROJECT, 5)
    fake_gitlab.clear_requests()

    result = gitlab.fetch_issues(PROJECT, since=first.cursor)

    # Issue 8 sits on the cursor: the inclusive filter returns it once more, harmlessly.
    assert numbers(result) == [8, 2, 5]
    assert result.issues[1].labels == ("triaged",)
    assert result.issues[2].state == "closed"
    assert fake_gitlab.requests[0].param("updated_after") == "2026-01-05T09:00:08Z"
    assert result.cursor == fake_gitlab.issues[PROJECT, 5].updated_at


def test_gitlab_resync_without_changes_costs_one_request(fake_gitlab, gitlab):
    fake_gitlab.add_issues(PROJECT, 7)
    cursor = gitlab.fetch_issues(PROJECT).cursor

    again = gitlab.fetch_issues(PROJECT, since=cursor)

    assert again.requests == 1
    assert numbers(again) == [7]
    assert again.cursor == cursor


def test_gitlab_equal_timestamps_at_page_boundary_survive_an_interrupted_listing(
    fake_gitlab, gitlab
):
    """A listing stopped after page 1 resumes from that page's cursor without losing issues
    that share the boundary timestamp (updated_after is inclusive)."""
    same = fake_gitlab.tick()
    fake_gitlab.add_issues(PROJECT, 5, updated_at=same)
    fake_gitlab.between_pages = lambda page: fake_gitlab.fail_next(Fault.rate_limited())

    pages = gitlab.iter_pages(PROJECT)
    page1 = next(pages)
    with pytest.raises(RateLimited):
        next(pages)
    fake_gitlab.between_pages = None

    assert [i.number for i in page1.issues] == [1, 2, 3]
    assert page1.cursor == same
    rest = gitlab.fetch_issues(PROJECT, since=page1.cursor)
    assert {i.number for i in page1.issues} | set(numbers(rest)) == {1, 2, 3, 4, 5}


def test_gitlab_issue_updated_while_paging_holds_the_cursor_back(fake_gitlab, gitlab):
    """Updating issue 1 after page 1 shifts issue 4 onto page 1's place: the listing misses it,
    so the cursor stays low enough for the next run to pick it up."""
    fake_gitlab.add_issues(PROJECT, 9)

    def touch_first(page: int) -> None:
        if page == 1:
            fake_gitlab.update_issue(PROJECT, 1, title="edited during sync")

    fake_gitlab.between_pages = touch_first
    result = gitlab.fetch_issues(PROJECT)
    fake_gitlab.between_pages = None

    assert 4 not in numbers(result)
    assert result.cursor <= fake_gitlab.issues[PROJECT, 4].updated_at
    again = gitlab.fetch_issues(PROJECT, since=result.cursor)
    assert 4 in numbers(again)


def test_gitlab_group_listing_reads_each_issue_project_from_references(fake_gitlab, gitlab):
    fake_gitlab.add_issue("fedora/bootc/tracker", title="tracker issue")
    fake_gitlab.add_issue("fedora/bootc/base-images", title="Switch to Konflux")
    fake_gitlab.add_issue("fedora/other/elsewhere", title="not in the group")

    result = gitlab.fetch_issues("fedora/bootc", group=True)

    assert [(i.project_path, i.title) for i in result.issues] == [
        ("fedora/bootc/tracker", "tracker issue"),
        ("fedora/bootc/base-images", "Switch to Konflux"),
    ]
    assert fake_gitlab.requests[0].path == "/api/v4/groups/fedora%2Fbootc/issues"


def test_gitlab_get_issue_by_iid_and_moved_issue_points_to_its_copy(fake_gitlab, gitlab):
    fake_gitlab.add_issues(PROJECT, 2)
    copy = fake_gitlab.move_issue(PROJECT, 2, "fedora/bootc/base-images")

    moved = gitlab.get_issue(PROJECT, 2)

    assert moved.state == "closed"
    assert moved.moved_to == f"gitlab-id:{copy.id}"
    assert fake_gitlab.requests[-1].path == "/api/v4/projects/fedora%2Fbootc%2Ftracker/issues/2"
    with pytest.raises(TrackerNotFound):
        gitlab.get_issue(PROJECT, 99)


def test_gitlab_boards_list_label_columns_in_position_order(fake_gitlab, gitlab):
    fake_gitlab.add_project(PROJECT)
    fake_gitlab.add_board(PROJECT, "Development", ["To Do", "Doing", "Review"], assignee_list=True)
    fake_gitlab.add_board(PROJECT, "Releases", ["F44", "F45"])

    boards = gitlab.boards(PROJECT)

    assert [(b.name, [c.label for c in b.columns]) for b in boards] == [
        ("Development", ["To Do", "Doing", "Review"]),
        ("Releases", ["F44", "F45"]),
    ]
    assert [c.position for c in boards[0].columns] == [0, 1, 2]


def test_gitlab_rate_limit_raises_with_retry_after(fake_gitlab, gitlab):
    fake_gitlab.add_issues(PROJECT, 2)
    fake_gitlab.fail_next(Fault.rate_limited(retry_after=42))

    with pytest.raises(RateLimited) as caught:
        gitlab.fetch_issues(PROJECT)

    assert caught.value.retry_after_seconds == 42
    assert len(fake_gitlab.requests) == 1


def test_gitlab_rate_limit_without_retry_after_waits_for_reset(fake_gitlab, gitlab):
    fake_gitlab.add_issues(PROJECT, 2)
    fake_gitlab.fail_next(Fault.rate_limited(reset_in=120))

    with pytest.raises(RateLimited) as caught:
        gitlab.fetch_issues(PROJECT)

    assert 115 <= caught.value.retry_after_seconds <= 120


def test_gitlab_transient_5xx_is_retried(fake_gitlab, gitlab):
    fake_gitlab.add_issues(PROJECT, 2)
    fake_gitlab.fail_next(Fault.server_error(502), times=2)

    result = gitlab.fetch_issues(PROJECT)

    assert numbers(result) == [1, 2]
    assert result.requests == 3


def test_gitlab_persistent_5xx_raises_unavailable_after_retries(fake_gitlab, gitlab):
    fake_gitlab.add_issues(PROJECT, 2)
    fake_gitlab.fail_next(Fault.server_error(500), times=3)

    with pytest.raises(TrackerUnavailable):
        gitlab.fetch_issues(PROJECT)

    assert len(fake_gitlab.requests) == 3


@pytest.mark.parametrize(
    "fault",
    [Fault.html_page(), Fault.truncated_json(), Fault.wrong_type("title", 5)],
    ids=["html", "truncated", "wrong-type"],
)
def test_gitlab_garbage_answer_raises_tracker_garbage(fake_gitlab, gitlab, fault):
    fake_gitlab.add_issues(PROJECT, 2)
    fake_gitlab.fail_next(fault)

    with pytest.raises(TrackerGarbage):
        gitlab.fetch_issues(PROJECT)


@pytest.mark.parametrize(
    ("field", "value"),
    [("updated_at", "yesterday"), ("labels", "bug"), ("iid", "7"), ("state", "locked")],
)
def test_gitlab_get_issue_validates_fields(fake_gitlab, gitlab, field, value):
    fake_gitlab.add_issues(PROJECT, 1)
    fake_gitlab.fail_next(Fault.wrong_type(field, value))

    with pytest.raises(TrackerGarbage):
        gitlab.get_issue(PROJECT, 1)


def test_gitlab_html_instead_of_an_issue_raises_tracker_garbage(fake_gitlab, gitlab):
    fake_gitlab.add_issues(PROJECT, 1)
    fake_gitlab.fail_next(Fault.html_page())

    with pytest.raises(TrackerGarbage):
        gitlab.get_issue(PROJECT, 1)


def test_gitlab_dead_server_raises_unavailable(dead_url):
    with GitLabClient(base_url=dead_url, token=GITLAB_TOKEN) as client:
        with pytest.raises(TrackerUnavailable) as caught:
            client.fetch_issues(PROJECT)

        assert client.requests_made == 3  # first try and two retries
        assert_secret_hidden(caught.value, client, secret=GITLAB_TOKEN)


def test_gitlab_bad_token_raises_auth_error_without_the_token(fake_gitlab):
    fake_gitlab.add_issues(PROJECT, 1)
    with GitLabClient(base_url=fake_gitlab.url, token="glpat-wrong-secret") as client:
        with pytest.raises(TrackerAuthError) as caught:
            client.fetch_issues(PROJECT)

        assert_secret_hidden(caught.value, client, secret="glpat-wrong-secret")


def test_gitlab_anonymous_client_sends_no_token_header():
    with FakeGitLab() as fake, GitLabClient(base_url=fake.url) as client:
        fake.add_issues(PROJECT, 1)
        fake.add_issue(PROJECT, confidential=True)

        result = client.fetch_issues(PROJECT)

        assert numbers(result) == [1]
        assert "private-token" not in fake.requests[0].headers


# GitHub


def test_github_first_listing_follows_link_and_skips_pull_requests(fake_github, github):
    fake_github.add_issue(REPO, labels=["area/install", "triaged"], assignees=["cgwalters"])
    fake_github.add_pull_request(REPO)
    fake_github.add_issues(REPO, 3)
    fake_github.add_pull_request(REPO)
    fake_github.add_issue(REPO, milestone="v1.2", author="ckyrouac", body="details")
    fake_github.close_issue(REPO, 3)

    result = github.fetch_issues(REPO)

    assert numbers(result) == [1, 4, 5, 7, 3]
    assert result.skipped_pull_requests == 2
    assert (result.pages, result.requests) == (3, 3)
    assert result.issues[0].labels == ("area/install", "triaged")
    assert result.issues[0].assignees == ("cgwalters",)
    assert result.issues[3].milestone == "v1.2"
    assert result.issues[3].author == "ckyrouac"
    assert result.issues[3].body == "details"
    assert result.issues[0].body == ""
    assert result.issues[-1].state == "closed"
    assert result.issues[0].web_url == f"https://github.com/{REPO}/issues/1"
    # the cursor covers the pull requests too: they were read
    assert result.cursor == fake_github.issues[REPO, 3].updated_at
    assert result.rate_limit_remaining == 4997
    first = fake_github.requests[0]
    assert first.path == f"/repos/{REPO}/issues"
    assert {k: v[0] for k, v in first.query.items()} == {
        "state": "all",
        "sort": "updated",
        "direction": "asc",
        "per_page": "3",
    }
    assert all(r.headers["authorization"] == f"Bearer {GITHUB_TOKEN}" for r in fake_github.requests)
    assert [r.param("page") for r in fake_github.requests] == [None, "2", "3"]


def test_github_cursor_returns_only_issues_changed_since(fake_github, github):
    fake_github.add_issues(REPO, 5)
    first = github.fetch_issues(REPO)
    fake_github.update_issue(REPO, 1, title="retitled")
    fake_github.clear_requests()

    result = github.fetch_issues(REPO, since=first.cursor)

    assert numbers(result) == [5, 1]
    assert result.issues[1].title == "retitled"
    assert fake_github.requests[0].param("since") == "2026-01-05T09:00:05Z"


def test_github_unchanged_listing_costs_one_free_request_and_reports_not_modified(
    fake_github, github
):
    fake_github.add_issues(REPO, 7)
    first = github.fetch_issues(REPO)
    remaining = fake_github.rate_remaining
    fake_github.clear_requests()

    again = github.fetch_issues(REPO, since=first.cursor, etag=first.etag)
    # a second run with the same cursor: now the ETag of that query matches
    cached = github.fetch_issues(REPO, since=first.cursor, etag=again.etag)

    assert cached.not_modified is True
    assert cached.issues == ()
    assert cached.requests == 1
    assert cached.cursor == first.cursor
    assert fake_github.requests[-1].headers["if-none-match"] == again.etag
    assert fake_github.rate_remaining == remaining - 1  # only `again` was charged


def test_github_changed_listing_ignores_the_stale_etag(fake_github, github):
    fake_github.add_issues(REPO, 2)
    first = github.fetch_issues(REPO)
    fake_github.update_issue(REPO, 1, labels=["bug"])

    again = github.fetch_issues(REPO, etag=first.etag)

    assert again.not_modified is False
    assert again.issues[-1].labels == ("bug",)
    assert again.etag != first.etag


def test_github_equal_timestamps_at_page_boundary_survive_an_interrupted_listing(
    fake_github, github
):
    same = fake_github.tick()
    fake_github.add_issues(REPO, 5, updated_at=same)
    fake_github.between_pages = lambda page: fake_github.fail_next(Fault.server_error(503), 3)

    pages = github.iter_pages(REPO)
    page1 = next(pages)
    with pytest.raises(TrackerUnavailable):
        next(pages)
    fake_github.between_pages = None

    rest = github.fetch_issues(REPO, since=page1.cursor)
    assert page1.cursor == same
    assert {i.number for i in page1.issues} | set(numbers(rest)) == {1, 2, 3, 4, 5}


@pytest.mark.parametrize(
    ("fault", "low", "high"),
    [
        (Fault.rate_limited(status=429, retry_after=17), 17, 17),
        (Fault.rate_limited(status=403, retry_after=5), 5, 5),
        (Fault.rate_limited(status=403, reset_in=600), 595, 600),
        (Fault.rate_limited(status=429), 60, 60),
    ],
    ids=["429-retry-after", "403-retry-after", "403-reset", "429-bare"],
)
def test_github_rate_limit_raises_with_the_wait_github_asks_for(
    fake_github, github, fault, low, high
):
    fake_github.add_issues(REPO, 1)
    fake_github.fail_next(fault)

    with pytest.raises(RateLimited) as caught:
        github.fetch_issues(REPO)

    assert low <= caught.value.retry_after_seconds <= high
    assert len(fake_github.requests) == 1


def test_github_exhausted_budget_raises_rate_limited_until_reset():
    with FakeGitHub(rate_limit=2) as fake, GitHubClient(base_url=fake.url, per_page=1) as client:
        fake.add_issues(REPO, 5)

        with pytest.raises(RateLimited) as caught:
            client.fetch_issues(REPO)

        assert 3500 < caught.value.retry_after_seconds <= 3600
        assert "authorization" not in fake.requests[0].headers


def test_github_forbidden_without_rate_limit_is_an_auth_error(fake_github, github):
    fake_github.add_issues(REPO, 1)
    fake_github.fail_next(Fault.server_error(403))

    with pytest.raises(TrackerAuthError):
        github.fetch_issues(REPO)


def test_github_transient_5xx_is_retried_then_unavailable(fake_github, github):
    fake_github.add_issues(REPO, 1)
    fake_github.fail_next(Fault.server_error(502), times=2)
    assert numbers(github.fetch_issues(REPO)) == [1]

    fake_github.clear_requests()
    fake_github.fail_next(Fault.server_error(500), times=3)
    with pytest.raises(TrackerUnavailable):
        github.fetch_issues(REPO)
    assert len(fake_github.requests) == 3


@pytest.mark.parametrize(
    "fault",
    [
        Fault.html_page(),
        Fault.truncated_json(),
        Fault.wrong_type("title", 5),
        Fault.wrong_type("labels", ["bug"]),
        Fault.wrong_type("updated_at", "2026-01-05 09:00:00"),
        Fault.wrong_type("state", "merged"),
    ],
    ids=["html", "truncated", "title-int", "labels-strings", "naive-time", "state"],
)
def test_github_garbage_answer_raises_tracker_garbage(fake_github, github, fault):
    fake_github.add_issues(REPO, 2)
    fake_github.fail_next(fault)

    with pytest.raises(TrackerGarbage):
        github.fetch_issues(REPO)


def test_github_get_issue_by_number_refuses_pull_requests(fake_github, github):
    fake_github.add_issue(REPO, title="bootc switch fails")
    fake_github.add_pull_request(REPO)

    assert github.get_issue(REPO, 1).title == "bootc switch fails"
    with pytest.raises(TrackerNotFound):
        github.get_issue(REPO, 2)
    with pytest.raises(TrackerNotFound):
        github.get_issue(REPO, 3)


def test_github_enterprise_base_url_keeps_the_api_prefix():
    with FakeGitHub(prefix="/api/v3") as fake:
        fake.add_issues(REPO, 4)
        with GitHubClient(base_url=f"{fake.url}/api/v3", per_page=2) as client:
            result = client.fetch_issues(REPO)

    assert numbers(result) == [1, 2, 3, 4]
    assert all(r.path == f"/api/v3/repos/{REPO}/issues" for r in fake.requests)


def test_github_dead_server_raises_unavailable_without_the_token(dead_url):
    with GitHubClient(base_url=dead_url, token=GITHUB_TOKEN, backoff=0) as client:
        with pytest.raises(TrackerUnavailable) as caught:
            client.fetch_issues(REPO)

        assert client.requests_made == 3
        assert_secret_hidden(caught.value, client, secret=GITHUB_TOKEN)


def test_github_bad_token_raises_auth_error_without_the_token(fake_github):
    fake_github.add_issues(REPO, 1)
    with GitHubClient(base_url=fake_github.url, token="ghp_wrongsecret") as client:
        with pytest.raises(TrackerAuthError) as caught:
            client.fetch_issues(REPO)

        assert_secret_hidden(caught.value, client, secret="ghp_wrongsecret")


# Forgejo


def test_forgejo_first_listing_reads_every_page(fake_forgejo, forgejo):
    fake_forgejo.add_issue(FORGE_REPO, labels=["f44"], milestone="Fedora 44", assignees=["siosm"])
    fake_forgejo.add_issues(FORGE_REPO, 5)
    fake_forgejo.add_pull_request(FORGE_REPO)
    fake_forgejo.close_issue(FORGE_REPO, 2)

    result = forgejo.fetch_issues(FORGE_REPO)

    assert sorted(numbers(result)) == [1, 2, 3, 4, 5, 6]
    assert (result.pages, result.requests) == (2, 2)
    assert result.skipped_pull_requests == 0  # type=issues: the server left the PR out
    one = next(i for i in result.issues if i.number == 1)
    assert (one.labels, one.milestone, one.assignees) == (("f44",), "Fedora 44", ("siosm",))
    two = next(i for i in result.issues if i.number == 3)
    assert two.assignees == ()  # Forgejo sends null
    assert one.updated_at.utcoffset() == timedelta(hours=1)
    assert result.cursor == fake_forgejo.issues[FORGE_REPO, 2].updated_at
    first = fake_forgejo.requests[0]
    assert first.path == f"/api/v1/repos/{FORGE_REPO}/issues"
    assert {k: v[0] for k, v in first.query.items()} == {
        "state": "all",
        "type": "issues",
        "limit": "3",
        "page": "1",
    }
    assert all(
        r.headers["authorization"] == f"token {FORGEJO_TOKEN}" for r in fake_forgejo.requests
    )


def test_forgejo_cursor_returns_only_issues_changed_since(fake_forgejo, forgejo):
    fake_forgejo.add_issues(FORGE_REPO, 7)
    first = forgejo.fetch_issues(FORGE_REPO)
    fake_forgejo.update_issue(FORGE_REPO, 3, title="rebased on fedora-bootc")

    result = forgejo.fetch_issues(FORGE_REPO, since=first.cursor)

    assert numbers(result) == [7, 3]
    assert fake_forgejo.requests[-1].param("since") == "2026-01-05T09:00:07Z"


def test_forgejo_follows_link_pages_on_its_own_base_url():
    with FakeForgejo(root_url="https://forge.fedoraproject.org") as fake:
        fake.add_issues(FORGE_REPO, 5)
        with ForgejoClient(base_url=fake.url, limit=2) as client:
            result = client.fetch_issues(FORGE_REPO)

    assert sorted(numbers(result)) == [1, 2, 3, 4, 5]
    assert [r.param("page") for r in fake.requests] == ["1", "2", "3"]


def test_forgejo_server_cap_on_limit_does_not_skip_issues():
    with FakeForgejo(max_limit=2) as fake:
        fake.add_issues(FORGE_REPO, 5)
        with ForgejoClient(base_url=fake.url, limit=50) as client:
            result = client.fetch_issues(FORGE_REPO)

    assert sorted(numbers(result)) == [1, 2, 3, 4, 5]


def test_forgejo_issue_deleted_while_paging_keeps_the_cursor(fake_forgejo, forgejo):
    fake_forgejo.add_issues(FORGE_REPO, 7)
    since = datetime(2026, 1, 1, tzinfo=UTC)

    def delete_newest(page: int) -> None:
        if page == 1:
            fake_forgejo.delete_issue(FORGE_REPO, 7)

    fake_forgejo.between_pages = delete_newest
    result = forgejo.fetch_issues(FORGE_REPO, since=since)
    fake_forgejo.between_pages = None

    assert 4 not in numbers(result)  # shifted onto page 1 after it was read
    assert result.cursor == since


def test_forgejo_issue_updated_while_paging_is_not_lost(fake_forgejo, forgejo):
    fake_forgejo.add_issues(FORGE_REPO, 7)

    def touch_oldest(page: int) -> None:
        if page == 1:
            fake_forgejo.update_issue(FORGE_REPO, 1, title="touched")

    fake_forgejo.between_pages = touch_oldest
    result = forgejo.fetch_issues(FORGE_REPO)
    fake_forgejo.between_pages = None

    assert sorted(numbers(result)) == [1, 2, 3, 4, 5, 6, 7]
    # Not past the server's Date of page 1: an edit to an issue already read may come later.
    assert result.cursor == fake_forgejo.issues[FORGE_REPO, 7].updated_at


def test_forgejo_rate_limit_raises_with_retry_after(fake_forgejo, forgejo):
    fake_forgejo.add_issues(FORGE_REPO, 1)
    fake_forgejo.fail_next(Fault.rate_limited(retry_after=9))

    with pytest.raises(RateLimited) as caught:
        forgejo.fetch_issues(FORGE_REPO)

    assert caught.value.retry_after_seconds == 9


def test_forgejo_persistent_5xx_raises_unavailable_after_retries(fake_forgejo, forgejo):
    fake_forgejo.add_issues(FORGE_REPO, 1)
    fake_forgejo.fail_next(Fault.html_page(status=502), times=3)

    with pytest.raises(TrackerUnavailable):
        forgejo.fetch_issues(FORGE_REPO)

    assert forgejo.requests_made == 3


@pytest.mark.parametrize(
    "fault",
    [
        Fault.html_page(),
        Fault.truncated_json(),
        Fault.wrong_type("number", "1"),
        Fault.wrong_type("assignees", {"login": "x"}),
    ],
    ids=["html", "truncated", "number-str", "assignees-object"],
)
def test_forgejo_garbage_answer_raises_tracker_garbage(fake_forgejo, forgejo, fault):
    fake_forgejo.add_issues(FORGE_REPO, 2)
    fake_forgejo.fail_next(fault)

    with pytest.raises(TrackerGarbage):
        forgejo.fetch_issues(FORGE_REPO)


def test_forgejo_get_issue_by_number(fake_forgejo, forgejo):
    fake_forgejo.add_issue(FORGE_REPO, title="Kinoite F44 rebase")

    assert forgejo.get_issue(FORGE_REPO, 1).title == "Kinoite F44 rebase"
    with pytest.raises(TrackerNotFound):
        forgejo.get_issue(FORGE_REPO, 2)


def test_forgejo_dead_server_raises_unavailable_without_the_token(dead_url):
    with ForgejoClient(base_url=dead_url, token=FORGEJO_TOKEN, backoff=0) as client:
        with pytest.raises(TrackerUnavailable) as caught:
            client.fetch_issues(FORGE_REPO)

        assert_secret_hidden(caught.value, client, secret=FORGEJO_TOKEN)


def test_forgejo_bad_token_raises_auth_error_without_the_token(fake_forgejo):
    fake_forgejo.add_issues(FORGE_REPO, 1)
    with ForgejoClient(base_url=fake_forgejo.url, token="forgejo-wrong") as client:
        with pytest.raises(TrackerAuthError) as caught:
            client.fetch_issues(FORGE_REPO)

        assert_secret_hidden(caught.value, client, secret="forgejo-wrong")


def test_naive_since_is_refused(github):
    with pytest.raises(ValueError, match="aware"):
        github.fetch_issues(REPO, since=datetime(2026, 1, 1))  # noqa: DTZ001
