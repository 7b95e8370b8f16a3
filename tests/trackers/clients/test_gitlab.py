"""The GitLab client against a local fake of GitLab v4: keyset and seek paging, counts, limits."""

from datetime import UTC, datetime

import pytest

from tests.trackers.clients.conftest import PROJECT, assert_secret_hidden, list_all
from tests.trackers.conftest import GITLAB_TOKEN
from tests.trackers.fakes import FakeGitLab, Fault
from tests.trackers.payloads import payload
from trackers.clients import gitlab
from trackers.clients.base import (
    ListingRequest,
    RateLimited,
    TrackerAuthError,
    TrackerGarbage,
    TrackerNotFound,
    TrackerUnavailable,
)
from trackers.clients.gitlab import GitLabClient

GROUP = "fedora/bootc"


def test_first_listing_pages_by_keyset_oldest_update_first(fake_gitlab, gitlab):
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

    listing = list_all(gitlab, PROJECT)

    assert listing.numbers == [1, 3, 4, 5, 6, 7, 2]
    assert [p.number for p in listing.pages] == [1, 2, 3]
    assert [p.pages_total for p in listing.pages] == [3, 3, 3]
    assert [p.last for p in listing.pages] == [False, False, True]
    assert listing.cursor == fake_gitlab.issues[PROJECT, 2].updated_at
    # Three pages and the one count that says how many pages there are.
    assert gitlab.requests_made == 4
    konflux = listing.issues[5]
    assert (konflux.title, konflux.body) == (
        "Release race condition in Konflux",
        "rawhide-standard went unpublished",
    )
    assert konflux.labels == ("konflux", "bug")
    assert (konflux.milestone, konflux.assignees) == ("Fedora 44", ("nimbinatus", "jspaleta"))
    assert (konflux.author, konflux.confidential, konflux.state) == ("jbtrystram", True, "open")
    assert konflux.web_url == f"https://gitlab.com/{PROJECT}/-/issues/7"
    assert listing.issues[-1].closed_at == fake_gitlab.issues[PROJECT, 2].closed_at
    first, second = fake_gitlab.requests_to("/issues")[:2]
    assert first.path == "/api/v4/projects/fedora%2Fbootc%2Ftracker/issues"
    assert (first.param("pagination"), first.param("order_by"), first.param("sort")) == (
        "keyset",
        "updated_at",
        "asc",
    )
    assert (first.param("per_page"), first.param("state"), first.param("page")) == ("3", None, None)
    assert second.param("cursor")
    assert second.param("page") is None
    assert all(r.headers["private-token"] == GITLAB_TOKEN for r in fake_gitlab.requests)


def test_a_cursor_lists_only_what_changed_since_it(fake_gitlab, gitlab):
    fake_gitlab.add_issues(PROJECT, 8)
    cursor = list_all(gitlab, PROJECT).cursor
    fake_gitlab.update_issue(PROJECT, 2, labels=["triaged"])
    fake_gitlab.close_issue(PROJECT, 5)
    fake_gitlab.clear_requests()

    listing = list_all(gitlab, PROJECT, since=cursor)

    # Issue 8 sits on the cursor: the inclusive filter returns it once more, harmlessly.
    assert listing.numbers == [8, 2, 5]
    assert listing.issues[1].labels == ("triaged",)
    assert fake_gitlab.requests[0].param("updated_after") == "2026-01-05T09:00:08.000Z"
    assert listing.cursor == fake_gitlab.issues[PROJECT, 5].updated_at


def test_a_listing_with_nothing_new_costs_one_request(fake_gitlab, gitlab):
    fake_gitlab.add_issues(PROJECT, 7)
    cursor = list_all(gitlab, PROJECT).cursor
    before = gitlab.requests_made

    again = list_all(gitlab, PROJECT, since=cursor)

    assert gitlab.requests_made - before == 1
    assert (again.numbers, again.cursor) == ([7], cursor)


def test_a_stopped_listing_resumes_after_its_last_page_even_inside_equal_timestamps(
    fake_gitlab, gitlab
):
    """Five issues share one updated_at across the page boundary; the listing is refused after
    page 1 and resumed from page 1's position: nothing read twice, nothing lost."""
    same = fake_gitlab.tick()
    fake_gitlab.add_issues(PROJECT, 5, updated_at=same)
    # The count that sizes the listing, then page 2: both refused.
    fake_gitlab.between_pages = lambda page: fake_gitlab.fail_next(Fault.rate_limited(), times=2)

    pages = gitlab.iter_pages(ListingRequest(project=PROJECT))
    page1 = next(pages)
    with pytest.raises(RateLimited):
        next(pages)
    fake_gitlab.between_pages = None

    rest = list_all(gitlab, PROJECT, resume=page1.position)

    assert [i.number for i in page1.issues] == [1, 2, 3]
    assert rest.numbers == [4, 5]
    assert [p.number for p in rest.pages] == [2]
    assert rest.cursor == same


def test_keyset_pages_skip_nothing_while_the_tracker_changes(fake_gitlab, gitlab):
    """Offset paging would skip an issue here: one on page 1 is edited and one deleted while
    page 2 is asked. Keyset pages continue after the last issue read, so every issue is read,
    and the edited one again at the end with its new data."""
    fake_gitlab.add_issues(PROJECT, 9)
    written = []

    def write(page: int) -> None:
        if not written:
            written.append(page)
            fake_gitlab.update_issue(PROJECT, 1, title="Edited while paging")
            fake_gitlab.delete_issue(PROJECT, 2)

    fake_gitlab.between_pages = write
    listing = list_all(gitlab, PROJECT)

    assert set(listing.numbers) == set(range(1, 10))
    assert listing.numbers.count(1) == 2
    assert listing.issues[-1].title == "Edited while paging"
    assert listing.cursor == fake_gitlab.issues[PROJECT, 1].updated_at


def test_group_listing_pages_by_seek_and_reads_each_issue_project(fake_gitlab, gitlab):
    fake_gitlab.add_issue("fedora/bootc/tracker", title="tracker issue")
    fake_gitlab.add_issue("fedora/bootc/base-images", title="Switch to Konflux")
    fake_gitlab.add_issue("fedora/other/elsewhere", title="not in the group")

    listing = list_all(gitlab, GROUP, group=True)

    assert [(i.project_path, i.title) for i in listing.issues] == [
        ("fedora/bootc/tracker", "tracker issue"),
        ("fedora/bootc/base-images", "Switch to Konflux"),
    ]
    request = fake_gitlab.requests[0]
    assert request.path == "/api/v4/groups/fedora%2Fbootc/issues"
    assert request.param("pagination") is None  # GitLab refuses keyset on group issues


def test_group_listing_completes_past_the_offset_limit_and_skips_nothing(gitlab):
    """A group larger than GitLab's offset limit (here 6 issues; 50,000 on gitlab.com) lists
    whole: every page is asked from the newest time seen, never past the limit, and issues
    edited while paging are read again later rather than skipped."""
    with FakeGitLab(token=GITLAB_TOKEN, max_offset=6) as fake:
        for n in range(16):
            fake.add_issue(f"{GROUP}/{'tracker' if n % 2 else 'base-images'}")
        fake.between_pages = lambda page: (
            page in (1, 2)
            and fake.update_issue(f"{GROUP}/tracker", page, title=f"edited after page {page}")
        )
        with GitLabClient(base_url=fake.url, token=GITLAB_TOKEN, per_page=3) as client:
            listing = list_all(client, GROUP, group=True)
        refused = [r for r in fake.requests if int(r.param("page") or 1) * 3 > 6]

    assert {(i.project_path, i.number) for i in listing.issues} == set(fake.issues)
    assert refused == []
    latest = {(i.project_path, i.number): i.title for i in listing.issues}
    assert latest[f"{GROUP}/tracker", 1] == "edited after page 1"
    assert listing.pages[-1].last


def test_a_gitlab_that_refuses_keyset_is_paged_by_seek(gitlab):
    with FakeGitLab(token=GITLAB_TOKEN, keyset=False) as fake:
        fake.add_issues(PROJECT, 7)
        with GitLabClient(base_url=fake.url, token=GITLAB_TOKEN, per_page=3) as client:
            listing = list_all(client, PROJECT)

    assert sorted(set(listing.numbers)) == list(range(1, 8))
    assert listing.pages[-1].position["strategy"] == "seek"
    assert fake.requests[0].param("pagination") == "keyset"
    assert all(r.param("pagination") is None for r in fake.requests[1:])


def test_counts_come_from_issue_statistics_within_bounds(fake_gitlab, gitlab):
    issues = fake_gitlab.add_issues(PROJECT, 6)
    fake_gitlab.add_issue(f"{GROUP}/base-images")

    everything = gitlab.count_issues(PROJECT, group=False, since=None, until=None)
    middle = gitlab.count_issues(
        PROJECT, group=False, since=issues[1].updated_at, until=issues[4].updated_at
    )
    group = gitlab.count_issues(GROUP, group=True, since=None, until=None)

    assert (everything, middle, group) == (6, 3, 7)
    request = fake_gitlab.requests[1]
    assert request.path.endswith("/issues_statistics")
    assert request.param("updated_before") == "2026-01-05T09:00:04.999Z"


def test_a_range_listing_stops_before_until(fake_gitlab, gitlab):
    issues = fake_gitlab.add_issues(PROJECT, 9)

    listing = list_all(gitlab, PROJECT, since=issues[2].updated_at, until=issues[6].updated_at)

    assert listing.numbers == [3, 4, 5, 6]


def test_get_issue_by_iid_and_a_moved_issue_points_to_its_copy(fake_gitlab, gitlab):
    fake_gitlab.add_issues(PROJECT, 2)
    copy = fake_gitlab.move_issue(PROJECT, 2, "fedora/bootc/base-images")

    moved = gitlab.get_issue(PROJECT, 2)

    assert (moved.state, moved.moved_to) == ("closed", f"gitlab-id:{copy.id}")
    assert fake_gitlab.requests[-1].path == "/api/v4/projects/fedora%2Fbootc%2Ftracker/issues/2"
    with pytest.raises(TrackerNotFound):
        gitlab.get_issue(PROJECT, 99)


def test_boards_list_label_columns_in_position_order(fake_gitlab, gitlab):
    fake_gitlab.add_project(PROJECT)
    fake_gitlab.add_board(PROJECT, "Development", ["To Do", "Doing", "Review"], assignee_list=True)
    fake_gitlab.add_board(PROJECT, "Releases", ["F44", "F45"])

    boards = gitlab.boards(PROJECT)

    assert [(b.name, [c.label for c in b.columns]) for b in boards] == [
        ("Development", ["To Do", "Doing", "Review"]),
        ("Releases", ["F44", "F45"]),
    ]
    assert [c.position for c in boards[0].columns] == [0, 1, 2]


def test_a_rate_limit_raises_at_once_with_the_retry_after(fake_gitlab, gitlab):
    fake_gitlab.add_issues(PROJECT, 2)
    fake_gitlab.fail_next(Fault.rate_limited(retry_after=42))

    with pytest.raises(RateLimited) as caught:
        list_all(gitlab, PROJECT)

    assert (caught.value.retry_after, caught.value.sent) == (42, True)
    assert len(fake_gitlab.requests) == 1  # python-gitlab neither retried nor slept


def test_a_rate_limit_without_retry_after_waits_for_the_reset(fake_gitlab, gitlab):
    fake_gitlab.add_issues(PROJECT, 2)
    fake_gitlab.fail_next(Fault.rate_limited(reset_in=120))

    with pytest.raises(RateLimited) as caught:
        list_all(gitlab, PROJECT)

    assert 115 <= caught.value.retry_after <= 120


def test_a_5xx_raises_unavailable_after_one_request(fake_gitlab, gitlab):
    """No retry in the client: the task layer retries, and the listing resumes."""
    fake_gitlab.add_issues(PROJECT, 2)
    fake_gitlab.fail_next(Fault.server_error(502))

    with pytest.raises(TrackerUnavailable):
        list_all(gitlab, PROJECT)

    assert len(fake_gitlab.requests) == 1


@pytest.mark.parametrize(
    "fault",
    [Fault.html_page(), Fault.truncated_json(), Fault.wrong_type("title", 5)],
    ids=["html", "truncated", "wrong-type"],
)
def test_garbage_raises_tracker_garbage(fake_gitlab, gitlab, fault):
    fake_gitlab.add_issues(PROJECT, 2)
    fake_gitlab.fail_next(fault)

    with pytest.raises(TrackerGarbage):
        list_all(gitlab, PROJECT)


@pytest.mark.parametrize(
    ("field", "value"),
    [("updated_at", "yesterday"), ("labels", "bug"), ("iid", "7"), ("state", "locked")],
)
def test_get_issue_validates_fields(fake_gitlab, gitlab, field, value):
    fake_gitlab.add_issues(PROJECT, 1)
    fake_gitlab.fail_next(Fault.wrong_type(field, value))

    with pytest.raises(TrackerGarbage):
        gitlab.get_issue(PROJECT, 1)


def test_html_instead_of_an_issue_raises_tracker_garbage(fake_gitlab, gitlab):
    fake_gitlab.add_issues(PROJECT, 1)
    fake_gitlab.fail_next(Fault.html_page())

    with pytest.raises(TrackerGarbage):
        gitlab.get_issue(PROJECT, 1)


def test_a_dead_server_raises_unavailable_without_the_token(dead_url):
    with GitLabClient(base_url=dead_url, token=GITLAB_TOKEN) as client:
        with pytest.raises(TrackerUnavailable) as caught:
            list_all(client, PROJECT)

        assert client.requests_made == 1
        assert_secret_hidden(caught.value, client, secret=GITLAB_TOKEN)


def test_a_bad_token_raises_auth_error_without_the_token(fake_gitlab):
    fake_gitlab.add_issues(PROJECT, 1)
    with GitLabClient(base_url=fake_gitlab.url, token="glpat-wrong-secret") as client:
        with pytest.raises(TrackerAuthError) as caught:
            list_all(client, PROJECT)

        assert_secret_hidden(caught.value, client, secret="glpat-wrong-secret")


def test_an_anonymous_client_sends_no_token_header():
    with FakeGitLab() as fake, GitLabClient(base_url=fake.url) as client:
        fake.add_issues(PROJECT, 1)
        fake.add_issue(PROJECT, confidential=True)

        listing = list_all(client, PROJECT)

        assert listing.numbers == [1]
        assert "private-token" not in fake.requests[0].headers


def test_every_answer_tells_the_budget_and_a_spent_budget_sends_nothing():
    class Spent:
        def __init__(self):
            self.recorded = []
            self.open = True

        def acquire(self, resource):
            if not self.open:
                raise RateLimited(30, "spent", sent=False)

        def record(self, resource, **limits):
            self.recorded.append((resource, limits["remaining"]))

    from tests.trackers.fakes import RateWindow

    budget = Spent()
    with FakeGitLab(rate=RateWindow(100)) as fake:
        fake.add_issues(PROJECT, 2)
        with GitLabClient(base_url=fake.url, per_page=5, budget=budget) as client:
            list_all(client, PROJECT)
            budget.open = False
            with pytest.raises(RateLimited) as caught:
                list_all(client, PROJECT)

    assert budget.recorded == [("core", 99)]
    assert caught.value.sent is False
    assert len(fake.requests) == 1


# Its issue JSON, in the shape the tracker sends it, mapped onto RemoteIssue.


def test_a_gitlab_issue_maps_every_field_fedimage_keeps():
    issue = gitlab.map_issue(payload("gitlab_issue"))

    assert (issue.tracker, issue.project_path, issue.number) == (
        "gitlab",
        "fedora/bootc/tracker",
        84,
    )
    assert issue.title.startswith("Konflux: rawhide-standard")
    assert issue.body.startswith("The `rawhide-standard` build")
    assert (issue.state, issue.labels) == ("open", ("konflux", "bug", "F44"))
    assert (issue.milestone, issue.assignees, issue.author) == (
        "Fedora 44",
        ("jbtrystram",),
        "nimbinatus",
    )
    assert issue.updated_at == datetime(2026, 1, 9, 8, 2, 11, 4000, tzinfo=UTC)
    assert (issue.closed_at, issue.confidential, issue.moved_to) == (None, False, None)
    assert (issue.remote_id, issue.author_migrated) == (171203318, False)


def test_nul_characters_are_dropped_from_text():
    data = payload("gitlab_issue")
    data["title"] = "Boot\x00fails"

    assert gitlab.map_issue(data).title == "Bootfails"
