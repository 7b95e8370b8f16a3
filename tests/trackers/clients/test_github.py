"""The GitHub client against a local fake of GitHub REST: seek paging, ETags, search counts."""

from datetime import UTC, datetime

import pytest

from tests.trackers.clients.conftest import REPO, assert_secret_hidden, list_all
from tests.trackers.conftest import GITHUB_TOKEN
from tests.trackers.fakes import FakeGitHub, Fault
from tests.trackers.payloads import payload
from trackers.clients import github
from trackers.clients.base import (
    ListingRequest,
    RateLimited,
    TrackerAuthError,
    TrackerGarbage,
    TrackerNotFound,
    TrackerUnavailable,
)
from trackers.clients.github import GitHubClient


def test_first_listing_skips_pull_requests_and_asks_each_page_from_the_newest_time(
    fake_github, github
):
    fake_github.add_issue(REPO, labels=["area/install", "triaged"], assignees=["cgwalters"])
    fake_github.add_pull_request(REPO)
    fake_github.add_issues(REPO, 3)
    fake_github.add_pull_request(REPO)
    fake_github.add_issue(REPO, milestone="v1.2", author="ckyrouac", body="details")
    fake_github.close_issue(REPO, 3)

    listing = list_all(github, REPO)

    # Each page starts again at the newest time seen (inclusive); what it read there is dropped.
    assert listing.numbers == [1, 4, 5, 7, 3]
    assert sum(p.skipped_pull_requests for p in listing.pages) == 2
    first = listing.issues[0]
    assert (first.labels, first.assignees, first.body) == (
        ("area/install", "triaged"),
        ("cgwalters",),
        "",
    )
    seven = listing.issues[3]
    assert (seven.milestone, seven.author, seven.body) == ("v1.2", "ckyrouac", "details")
    assert listing.issues[-1].state == "closed"
    assert first.web_url == f"https://github.com/{REPO}/issues/1"
    # the cursor covers the pull requests too: they were read
    assert listing.cursor == fake_github.issues[REPO, 3].updated_at
    assert listing.pages[-1].rate_limit_remaining == fake_github.rate_remaining
    request = fake_github.requests[0]
    assert request.path == f"/repos/{REPO}/issues"
    assert {k: v[0] for k, v in request.query.items()} == {
        "state": "all",
        "sort": "updated",
        "direction": "asc",
        "per_page": "3",
    }
    assert [r.param("since") for r in fake_github.requests] == [
        None,
        "2026-01-05T09:00:04Z",
        "2026-01-05T09:00:06Z",
    ]
    assert all(r.param("page") is None for r in fake_github.requests)
    assert all(r.headers["authorization"] == f"Bearer {GITHUB_TOKEN}" for r in fake_github.requests)


def test_a_cursor_lists_only_what_changed_since_it(fake_github, github):
    fake_github.add_issues(REPO, 5)
    cursor = list_all(github, REPO).cursor
    fake_github.update_issue(REPO, 1, title="retitled")
    fake_github.clear_requests()

    listing = list_all(github, REPO, since=cursor)

    assert listing.numbers == [5, 1]
    assert listing.issues[1].title == "retitled"
    assert fake_github.requests[0].param("since") == "2026-01-05T09:00:05Z"


def test_an_unchanged_listing_costs_one_free_request_and_says_not_modified(fake_github, github):
    fake_github.add_issues(REPO, 7)
    first = list_all(github, REPO)
    remaining = fake_github.rate_remaining
    fake_github.clear_requests()

    again = list_all(github, REPO, since=first.cursor)
    # a second run with the same cursor: now the ETag of that query matches
    cached = list_all(github, REPO, since=first.cursor, etag=again.pages[0].etag)

    assert cached.pages[0].not_modified is True
    assert (cached.issues, cached.cursor) == ([], first.cursor)
    assert len(fake_github.requests) == 2
    assert fake_github.requests[-1].headers["if-none-match"] == again.pages[0].etag
    assert fake_github.rate_remaining == remaining - 1  # only `again` was charged


def test_a_changed_listing_ignores_the_stale_etag(fake_github, github):
    fake_github.add_issues(REPO, 2)
    first = list_all(github, REPO)
    fake_github.update_issue(REPO, 1, labels=["bug"])

    again = list_all(github, REPO, etag=first.pages[0].etag)

    assert again.pages[0].not_modified is False
    assert again.issues[-1].labels == ("bug",)


def test_a_stopped_listing_resumes_after_its_last_page_inside_equal_timestamps(fake_github, github):
    """Five issues updated in the same second: the pages go on by offset within that second,
    and a listing stopped after page 1 resumes at page 2 of it."""
    same = fake_github.tick()
    fake_github.add_issues(REPO, 5, updated_at=same)
    fake_github.between_pages = lambda page: fake_github.fail_next(Fault.server_error(503))

    pages = github.iter_pages(ListingRequest(project=REPO))
    page1 = next(pages)
    with pytest.raises(TrackerUnavailable):
        next(pages)
    fake_github.between_pages = None

    rest = list_all(github, REPO, resume=page1.position)

    assert [i.number for i in page1.issues] == [1, 2, 3]
    assert rest.numbers == [4, 5]
    assert fake_github.requests[-1].param("page") == "2"
    assert rest.cursor == same


def test_issues_edited_and_deleted_while_paging_skip_nothing(fake_github, github):
    """Offset paging skips the issue that moves up when one before it is edited or deleted;
    a page asked from the newest time seen cannot."""
    fake_github.add_issues(REPO, 10)
    written = []

    def write(page: int) -> None:
        if not written:
            written.append(page)
            fake_github.update_issue(REPO, 2, title="Edited while paging")
            fake_github.delete_issue(REPO, 1)

    fake_github.between_pages = write
    listing = list_all(github, REPO)

    assert set(listing.numbers) == set(range(1, 11))
    assert listing.issues[-1].title == "Edited while paging"


def test_counts_come_from_the_search_api_without_pull_requests(fake_github, github):
    issues = fake_github.add_issues(REPO, 5)
    fake_github.add_pull_request(REPO)

    everything = github.count_issues(REPO, group=False, since=None, until=None)
    middle = github.count_issues(
        REPO, group=False, since=issues[1].updated_at, until=issues[3].updated_at
    )

    assert (everything, middle) == (5, 2)
    request = fake_github.requests[-1]
    assert request.path == "/search/issues"
    assert request.param("q") == (
        f"repo:{REPO} is:issue updated:2026-01-05T09:00:02Z..2026-01-05T09:00:03Z"
    )
    assert fake_github.search.remaining == 28  # its own budget, not the core one


def test_a_range_listing_stops_before_until(fake_github, github):
    issues = fake_github.add_issues(REPO, 9)

    listing = list_all(github, REPO, since=issues[2].updated_at, until=issues[6].updated_at)

    assert set(listing.numbers) == {3, 4, 5, 6}


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
def test_a_rate_limit_raises_with_the_wait_github_asks_for(fake_github, github, fault, low, high):
    fake_github.add_issues(REPO, 1)
    fake_github.fail_next(fault)

    with pytest.raises(RateLimited) as caught:
        list_all(github, REPO)

    assert low <= caught.value.retry_after <= high
    assert len(fake_github.requests) == 1


def test_a_spent_budget_raises_rate_limited_until_its_reset():
    with FakeGitHub(rate_limit=2) as fake, GitHubClient(base_url=fake.url, per_page=1) as client:
        fake.add_issues(REPO, 5)

        with pytest.raises(RateLimited) as caught:
            list_all(client, REPO)

        assert 3500 < caught.value.retry_after <= 3601
        assert "authorization" not in fake.requests[0].headers


def test_forbidden_without_rate_limit_is_an_auth_error(fake_github, github):
    fake_github.add_issues(REPO, 1)
    fake_github.fail_next(Fault.server_error(403))

    with pytest.raises(TrackerAuthError):
        list_all(github, REPO)


def test_a_5xx_raises_unavailable_after_one_request(fake_github, github):
    fake_github.add_issues(REPO, 1)
    fake_github.fail_next(Fault.server_error(502))

    with pytest.raises(TrackerUnavailable):
        list_all(github, REPO)

    assert len(fake_github.requests) == 1


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
def test_garbage_raises_tracker_garbage(fake_github, github, fault):
    fake_github.add_issues(REPO, 2)
    fake_github.fail_next(fault)

    with pytest.raises(TrackerGarbage):
        list_all(github, REPO)


def test_get_issue_by_number_refuses_pull_requests(fake_github, github):
    fake_github.add_issue(REPO, title="bootc switch fails")
    fake_github.add_pull_request(REPO)

    assert github.get_issue(REPO, 1).title == "bootc switch fails"
    with pytest.raises(TrackerNotFound):
        github.get_issue(REPO, 2)
    with pytest.raises(TrackerNotFound):
        github.get_issue(REPO, 3)


def test_a_transferred_issue_answers_from_its_new_repository(fake_github, github):
    fake_github.add_issues(REPO, 2)
    moved = fake_github.transfer_issue(REPO, 2, "bootc-dev/bootc-image-builder")

    issue = github.get_issue(REPO, 2)

    assert (
        issue.web_url == f"https://github.com/bootc-dev/bootc-image-builder/issues/{moved.number}"
    )


def test_github_enterprise_keeps_the_api_prefix():
    with FakeGitHub(prefix="/api/v3") as fake:
        fake.add_issues(REPO, 4)
        with GitHubClient(base_url=f"{fake.url}/api/v3", per_page=2) as client:
            listing = list_all(client, REPO)

    assert set(listing.numbers) == {1, 2, 3, 4}
    assert all(r.path == f"/api/v3/repos/{REPO}/issues" for r in fake.requests)


def test_a_dead_server_raises_unavailable_without_the_token(dead_url):
    with GitHubClient(base_url=dead_url, token=GITHUB_TOKEN) as client:
        with pytest.raises(TrackerUnavailable) as caught:
            list_all(client, REPO)

        assert client.requests_made == 1
        assert_secret_hidden(caught.value, client, secret=GITHUB_TOKEN)


def test_a_bad_token_raises_auth_error_without_the_token(fake_github):
    fake_github.add_issues(REPO, 1)
    with GitHubClient(base_url=fake_github.url, token="ghp_wrongsecret") as client:
        with pytest.raises(TrackerAuthError) as caught:
            list_all(client, REPO)

        assert_secret_hidden(caught.value, client, secret="ghp_wrongsecret")


# Its issue JSON, in the shape the tracker sends it, mapped onto RemoteIssue.


def test_a_github_issue_maps_every_field_fedimage_keeps():
    issue = github.map_issue(payload("github_issue"), "bootc-dev/bootc")

    assert (issue.number, issue.state, issue.labels) == (1123, "closed", ("bug", "area/composefs"))
    assert (issue.milestone, issue.assignees, issue.author) == (None, (), "ckyrouac")
    assert issue.closed_at == datetime(2026, 1, 8, 17, 40, 31, tzinfo=UTC)
    assert issue.web_url == "https://github.com/bootc-dev/bootc/issues/1123"


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", None), ("labels", ["bug"]), ("updated_at", "2026-01-08 17:40:33"), ("number", "1")],
)
def test_a_github_issue_with_a_wrong_field_is_garbage_naming_it(field, value):
    data = payload("github_issue")
    data[field] = value

    with pytest.raises(TrackerGarbage, match=field):
        github.map_issue(data, "bootc-dev/bootc")
