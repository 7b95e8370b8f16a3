"""The Forgejo client against a local fake of Forgejo v1: windowed pages that skip nothing."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.trackers.clients.conftest import FORGE_REPO, assert_secret_hidden, list_all
from tests.trackers.conftest import FORGEJO_TOKEN
from tests.trackers.fakes import FakeForgejo, Fault
from tests.trackers.payloads import payload
from trackers.clients import forgejo
from trackers.clients.base import (
    ListingRequest,
    RateLimited,
    TrackerAuthError,
    TrackerGarbage,
    TrackerNotFound,
    TrackerUnavailable,
)
from trackers.clients.forgejo import ForgejoClient


def test_first_listing_reads_every_page_and_closes_its_window(fake_forgejo, forgejo):
    fake_forgejo.add_issue(FORGE_REPO, labels=["f44"], milestone="Fedora 44", assignees=["siosm"])
    fake_forgejo.add_issues(FORGE_REPO, 5)
    fake_forgejo.add_pull_request(FORGE_REPO)
    fake_forgejo.close_issue(FORGE_REPO, 2)

    listing = list_all(forgejo, FORGE_REPO)

    assert sorted(listing.numbers) == [1, 2, 3, 4, 5, 6]
    # Page 1, then the last page back to the first: page 1 is read once more at the end.
    assert [(p.number, p.pages_total, p.last) for p in listing.pages] == [
        (1, 3, False),
        (2, 3, False),
        (3, 3, True),
    ]
    one = next(i for i in listing.issues if i.number == 1)
    assert (one.labels, one.milestone, one.assignees) == (("f44",), "Fedora 44", ("siosm",))
    assert next(i for i in listing.issues if i.number == 3).assignees == ()  # null in Forgejo
    assert one.updated_at.utcoffset() == timedelta(hours=1)
    assert listing.cursor == fake_forgejo.issues[FORGE_REPO, 2].updated_at
    first, second, third = fake_forgejo.requests
    assert [r.param("page") for r in fake_forgejo.requests] == ["1", "2", "1"]
    assert first.path == f"/api/v1/repos/{FORGE_REPO}/issues"
    assert {k: v[0] for k, v in first.query.items()} == {
        "state": "all",
        "type": "issues",
        "limit": "3",
        "page": "1",
    }
    # Later pages are asked within the window closed at the server's time of the first answer.
    assert second.param("before") == third.param("before") == "2026-01-05T09:00:08Z"
    assert all(
        r.headers["authorization"] == f"token {FORGEJO_TOKEN}" for r in fake_forgejo.requests
    )


def test_a_cursor_lists_only_what_changed_since_it(fake_forgejo, forgejo):
    fake_forgejo.add_issues(FORGE_REPO, 7)
    cursor = list_all(forgejo, FORGE_REPO).cursor
    fake_forgejo.update_issue(FORGE_REPO, 3, title="rebased on fedora-bootc")

    listing = list_all(forgejo, FORGE_REPO, since=cursor)

    assert listing.numbers == [7, 3]
    assert fake_forgejo.requests[-1].param("since") == "2026-01-05T09:00:07Z"


def test_pages_follow_the_page_numbers_on_our_own_base_url():
    with FakeForgejo(root_url="https://forge.fedoraproject.org") as fake:
        fake.add_issues(FORGE_REPO, 5)
        with ForgejoClient(base_url=fake.url, per_page=2) as client:
            listing = list_all(client, FORGE_REPO)

    assert sorted(set(listing.numbers)) == [1, 2, 3, 4, 5]
    assert [r.param("page") for r in fake.requests] == ["1", "3", "2", "1"]


def test_a_server_cap_on_the_page_size_skips_nothing():
    with FakeForgejo(max_limit=2) as fake:
        fake.add_issues(FORGE_REPO, 5)
        with ForgejoClient(base_url=fake.url, per_page=50) as client:
            listing = list_all(client, FORGE_REPO)

    assert sorted(set(listing.numbers)) == [1, 2, 3, 4, 5]
    assert [(r.param("page"), r.param("limit")) for r in fake.requests] == [
        ("1", "50"),
        ("3", "2"),
        ("2", "2"),
        ("1", "2"),
    ]


def test_an_issue_deleted_while_paging_shifts_nothing_onto_a_page_already_read(
    fake_forgejo, forgejo
):
    """Newest first: deleting issue 7 (page 1) moves every other issue up a place. Read from
    the last page back to the first, the moved ones are still read: nothing missed."""
    newest = fake_forgejo.add_issues(FORGE_REPO, 7)[-1]
    since = datetime(2026, 1, 1, tzinfo=UTC)
    fake_forgejo.between_pages = lambda page: (
        (FORGE_REPO, 7) in fake_forgejo.issues and fake_forgejo.delete_issue(FORGE_REPO, 7)
    )

    listing = list_all(forgejo, FORGE_REPO, since=since)

    assert set(listing.numbers) == set(range(1, 8))
    assert [r.param("page") for r in fake_forgejo.requests] == ["1", "3", "2", "1"]
    assert listing.cursor == newest.updated_at  # read before it went


def test_issues_edited_while_paging_are_left_to_the_next_listing_and_skip_nothing(
    fake_forgejo, forgejo
):
    """Edited after the window closed, issues 7 (already read) and 3 (not yet) leave it and
    the rest move up: the listing still gets every other issue; the cursor stays at the newest
    time inside the window, so the next listing reads both edits."""
    fake_forgejo.add_issues(FORGE_REPO, 7)
    written = []

    def edit(page: int) -> None:
        if not written:
            written.append(page)
            fake_forgejo.update_issue(FORGE_REPO, 7, title="Edited on page 1 while paging")
            fake_forgejo.update_issue(FORGE_REPO, 3, title="Edited on page 2 while paging")

    fake_forgejo.between_pages = edit
    listing = list_all(forgejo, FORGE_REPO)
    fake_forgejo.between_pages = None
    after = list_all(forgejo, FORGE_REPO, since=listing.cursor)

    assert {1, 2, 4, 5, 6} <= set(listing.numbers)
    assert {(i.number, i.title) for i in after.issues} >= {
        (7, "Edited on page 1 while paging"),
        (3, "Edited on page 2 while paging"),
    }


def test_a_stopped_listing_resumes_after_its_last_page(fake_forgejo, forgejo):
    fake_forgejo.add_issues(FORGE_REPO, 8)
    fake_forgejo.between_pages = lambda page: (
        page == 1 and fake_forgejo.fail_next(Fault.rate_limited(retry_after=3))
    )

    pages = forgejo.iter_pages(ListingRequest(project=FORGE_REPO))
    page1 = next(pages)
    with pytest.raises(RateLimited):
        next(pages)
    fake_forgejo.between_pages = None
    fake_forgejo.clear_requests()

    rest = list_all(forgejo, FORGE_REPO, resume=page1.position)

    assert sorted(i.number for i in [*page1.issues, *rest.issues]) == list(range(1, 9))
    assert [r.param("page") for r in fake_forgejo.requests] == ["3", "2", "1"]
    assert [p.number for p in rest.pages] == [2, 3, 4]


def test_counts_come_from_x_total_count_within_bounds(fake_forgejo, forgejo):
    issues = fake_forgejo.add_issues(FORGE_REPO, 6)
    fake_forgejo.add_pull_request(FORGE_REPO)

    everything = forgejo.count_issues(FORGE_REPO, group=False, since=None, until=None)
    middle = forgejo.count_issues(
        FORGE_REPO, group=False, since=issues[1].updated_at, until=issues[4].updated_at
    )

    assert (everything, middle) == (6, 3)
    assert fake_forgejo.requests[-1].param("limit") == "1"


def test_a_range_listing_stops_before_until(fake_forgejo, forgejo):
    issues = fake_forgejo.add_issues(FORGE_REPO, 9)

    listing = list_all(forgejo, FORGE_REPO, since=issues[2].updated_at, until=issues[6].updated_at)

    assert sorted(listing.numbers) == [3, 4, 5, 6]


def test_an_issue_migrated_from_another_forge_keeps_its_original_author(fake_forgejo, forgejo):
    fake_forgejo.add_issue(FORGE_REPO, author="forgejo-migration", original_author="jlebon")
    fake_forgejo.add_issue(FORGE_REPO, author="siosm")

    migrated, native = sorted(list_all(forgejo, FORGE_REPO).issues, key=lambda i: i.number)

    assert (migrated.author, migrated.author_migrated) == ("jlebon", True)
    assert (native.author, native.author_migrated) == ("siosm", False)


def test_a_rate_limit_raises_with_its_retry_after(fake_forgejo, forgejo):
    fake_forgejo.add_issues(FORGE_REPO, 1)
    fake_forgejo.fail_next(Fault.rate_limited(retry_after=9))

    with pytest.raises(RateLimited) as caught:
        list_all(forgejo, FORGE_REPO)

    assert caught.value.retry_after == 9


def test_a_5xx_raises_unavailable_after_one_request(fake_forgejo, forgejo):
    fake_forgejo.add_issues(FORGE_REPO, 1)
    fake_forgejo.fail_next(Fault.html_page(status=502))

    with pytest.raises(TrackerUnavailable):
        list_all(forgejo, FORGE_REPO)

    assert forgejo.requests_made == 1


@pytest.mark.parametrize(
    "fault",
    [
        Fault.html_page(),
        Fault.truncated_json(),
        Fault.wrong_type("number", "1"),
        Fault.wrong_type("assignees", {"login": "x"}),
        Fault.wrong_type("original_author", 7),
    ],
    ids=["html", "truncated", "number-str", "assignees-object", "original-author-int"],
)
def test_garbage_raises_tracker_garbage(fake_forgejo, forgejo, fault):
    fake_forgejo.add_issues(FORGE_REPO, 2)
    fake_forgejo.fail_next(fault)

    with pytest.raises(TrackerGarbage):
        list_all(forgejo, FORGE_REPO)


def test_get_issue_by_number(fake_forgejo, forgejo):
    fake_forgejo.add_issue(FORGE_REPO, title="Kinoite F44 rebase")

    assert forgejo.get_issue(FORGE_REPO, 1).title == "Kinoite F44 rebase"
    with pytest.raises(TrackerNotFound):
        forgejo.get_issue(FORGE_REPO, 2)


def test_a_dead_server_raises_unavailable_without_the_token(dead_url):
    with ForgejoClient(base_url=dead_url, token=FORGEJO_TOKEN) as client:
        with pytest.raises(TrackerUnavailable) as caught:
            list_all(client, FORGE_REPO)

        assert_secret_hidden(caught.value, client, secret=FORGEJO_TOKEN)


def test_a_bad_token_raises_auth_error_without_the_token(fake_forgejo):
    fake_forgejo.add_issues(FORGE_REPO, 1)
    with ForgejoClient(base_url=fake_forgejo.url, token="forgejo-wrong") as client:
        with pytest.raises(TrackerAuthError) as caught:
            list_all(client, FORGE_REPO)

        assert_secret_hidden(caught.value, client, secret="forgejo-wrong")


def test_a_naive_since_is_refused(forgejo):
    with pytest.raises(ValueError, match="aware"):
        list_all(forgejo, FORGE_REPO, since=datetime(2026, 1, 1))  # noqa: DTZ001


# Its issue JSON, in the shape the tracker sends it, mapped onto RemoteIssue.


def test_a_forgejo_issue_migrated_from_pagure_keeps_its_original_author():
    issue = forgejo.map_issue(payload("forgejo_issue_migrated"), "atomic-desktops/tracker")

    assert (issue.author, issue.author_migrated) == ("tpopela", True)
    assert (issue.labels, issue.assignees) == ((), ())  # Forgejo sends null for none
    assert issue.updated_at.utcoffset() == timedelta(hours=1)
    assert issue.updated_at == datetime(
        2025, 12, 19, 16, 2, 44, tzinfo=timezone(timedelta(hours=1))
    )
