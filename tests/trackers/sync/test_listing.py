"""The list stage through the sync service, against local fakes of GitLab, GitHub and Forgejo:
first and incremental listings, resuming after every stored page, writers during paging."""

import pytest

from tests.trackers.fakes import FakeGitLab, Fault
from tests.trackers.sync.conftest import (
    FORGE_REPO,
    PROJECT,
    REPO,
    assert_mirrors,
    held,
    trackers,
    wait_is_over,
)
from trackers import services
from trackers.clients.base import RateLimited, TrackerUnavailable
from trackers.models import RunKind, RunStatus, SyncRun, TrackedIssue

KINDS = ["gitlab", "github", "forgejo"]


@pytest.fixture
def tracker(request, fake_gitlab, fake_github, fake_forgejo):
    return trackers(request.param, fake_gitlab, fake_github, fake_forgejo)


# first listings


def test_first_gitlab_sync_stores_every_issue_with_all_synced_fields(fake_gitlab, make_source):
    fake_gitlab.add_issues(PROJECT, 5)
    fake_gitlab.add_issue(
        PROJECT,
        title="Release race condition in Konflux",
        labels=["konflux", "bug"],
        milestone="Fedora 44",
        assignees=["nimbinatus"],
        author="jbtrystram",
        confidential=True,
    )
    fake_gitlab.close_issue(PROJECT, 2)
    source = make_source(fake_gitlab, PROJECT)

    run = services.source_sync(source=source)

    assert (run.status, run.created, run.updated, run.removed) == (RunStatus.OK, 6, 0, 0)
    # Two pages; the boards, the count that sizes the listing, and the count that checks it.
    assert (run.pages, run.pages_total, run.requests) == (2, 2, 5)
    assert_mirrors(source, fake_gitlab)
    konflux = held(source)[6]
    assert konflux.labels == ["konflux", "bug"]
    assert (konflux.milestone, konflux.assignees, konflux.author) == (
        "Fedora 44",
        ["nimbinatus"],
        "jbtrystram",
    )
    assert konflux.confidential is True
    assert konflux.web_url == f"https://gitlab.com/{PROJECT}/-/issues/6"
    assert konflux.remote_id == fake_gitlab.issues[PROJECT, 6].id
    assert held(source)[2].closed_at == fake_gitlab.issues[PROJECT, 2].closed_at
    source.refresh_from_db()
    assert source.cursor == fake_gitlab.issues[PROJECT, 2].updated_at
    assert (source.listing, source.issues_held, source.issues_open) == ({}, 6, 5)
    assert source.last_success_at is not None
    assert (source.last_error, source.failing_since) == ("", None)


def test_first_github_sync_skips_pull_requests_and_says_so(fake_github, make_source):
    fake_github.add_issues(REPO, 2)
    fake_github.add_pull_request(REPO)
    fake_github.add_issue(REPO, labels=["area/install", "triaged"])
    source = make_source(fake_github, REPO)

    run = services.source_sync(source=source)

    assert set(held(source)) == {1, 2, 4}
    assert run.created == 3
    assert run.skipped == [
        {"what": "pull requests", "count": 1, "why": "listed with the issues; they are not issues"}
    ]
    assert held(source)[4].labels == ["area/install", "triaged"]
    assert run.rate_limit_remaining == fake_github.rate_remaining


def test_first_forgejo_sync_stores_every_page_and_original_authors(fake_forgejo, make_source):
    fake_forgejo.add_issues(FORGE_REPO, 6)
    fake_forgejo.add_issue(FORGE_REPO, author="forgejo-migration", original_author="tpopela")
    fake_forgejo.add_pull_request(FORGE_REPO)
    source = make_source(fake_forgejo, FORGE_REPO)

    run = services.source_sync(source=source)

    assert run.created == 7
    assert_mirrors(source, fake_forgejo)
    assert (held(source)[7].author, held(source)[7].author_migrated) == ("tpopela", True)
    source.refresh_from_db()
    assert source.cursor == fake_forgejo.issues[FORGE_REPO, 7].updated_at


# incremental listings


@pytest.mark.parametrize("tracker", KINDS, indirect=True)
def test_an_incremental_sync_lists_only_changes_and_upserts(tracker, make_source):
    fake, project = tracker
    fake.add_issues(project, 8)
    source = make_source(fake, project)
    services.source_sync(source=source)
    fake.update_issue(project, 2, labels=["triaged"], title="Renamed")
    fake.close_issue(project, 5)
    fake.add_issue(project, title="Brand new")
    fake.clear_requests()

    run = services.source_sync(source=source)

    assert (run.created, run.updated, run.kind) == (1, 2, RunKind.INCREMENTAL)
    assert_mirrors(source, fake)
    assert TrackedIssue.objects.filter(source=source).count() == 9
    # Four changes, pages of three; Forgejo reads its first page again at the end.
    assert run.pages == (3 if source.kind == "forgejo" else 2)
    assert run.requests == len(fake.requests)
    assert any(
        "updated" in line and "#5" in line and "state open -> closed" in line
        for line in run.changes
    )


def test_a_gitlab_resync_without_changes_costs_two_requests_and_changes_nothing(
    fake_gitlab, make_source
):
    """The listing at the cursor, and the count that would show a deletion."""
    fake_gitlab.add_issues(PROJECT, 7)
    source = make_source(fake_gitlab, PROJECT)
    services.source_sync(source=source)
    before = {n: i.synced_at for n, i in held(source).items()}

    run = services.source_sync(source=source)

    assert (run.requests, run.created, run.updated, run.unchanged) == (2, 0, 0, 1)
    assert {n: i.synced_at for n, i in held(source).items()} == before


def test_a_github_resync_without_changes_is_a_free_304_and_one_search(fake_github, make_source):
    fake_github.add_issues(REPO, 7)
    source = make_source(fake_github, REPO)
    services.source_sync(source=source)
    services.source_sync(source=source)  # one request at the cursor: now the ETag is for it
    budget = fake_github.rate_remaining
    fake_github.clear_requests()

    run = services.source_sync(source=source)

    assert run.status == RunStatus.NOT_MODIFIED
    assert (run.requests, run.created, run.updated) == (2, 0, 0)
    assert fake_github.requests[0].headers["if-none-match"]
    assert fake_github.requests[1].path == "/search/issues"
    assert fake_github.rate_remaining == budget  # 304s are free, search has its own budget
    # A change after a 304 is still seen.
    fake_github.update_issue(REPO, 3, title="Changed")
    run = services.source_sync(source=source)
    assert (run.status, run.updated) == (RunStatus.OK, 1)
    assert held(source)[3].title == "Changed"


# resuming


@pytest.mark.parametrize("tracker", KINDS, indirect=True)
def test_a_listing_stopped_by_a_long_rate_limit_resumes_after_its_last_stored_page(
    tracker, make_source
):
    """The tracker refuses the third page for two minutes: the pages before are stored with the
    position after them, the source pauses, and the next run goes on there, never from page 1."""
    fake, project = tracker
    fake.add_issues(project, 10)
    source = make_source(fake, project)
    pages = []

    def refuse_third(page: int) -> None:
        pages.append(page)
        if len(pages) == 2:
            fake.fail_next(Fault.rate_limited(retry_after=120))

    fake.between_pages = refuse_third

    with pytest.raises(RateLimited):
        services.source_sync(source=source)

    fake.between_pages = None
    source.refresh_from_db()
    stopped = SyncRun.objects.get(source=source)
    # Forgejo reads page 1, then from the last page back: its third read is the second hooked.
    assert (stopped.status, stopped.pages) == (
        RunStatus.FAILED,
        3 if source.kind == "forgejo" else 2,
    )
    assert TrackedIssue.objects.filter(source=source).count() == stopped.created >= 5
    assert (source.listing["page"], source.cursor) == (stopped.pages, None)
    assert source.is_paused()
    wait_is_over(source)
    fake.clear_requests()

    run = services.source_sync(source=source)

    assert (run.status, run.resumed_after_page) == (RunStatus.OK, stopped.pages)
    assert run.created == 10 - stopped.created
    assert_mirrors(source, fake)
    resumed = next(r for r in fake.requests if r.path.endswith("/issues"))
    from_the_start = (
        resumed.param("cursor") is None
        and resumed.param("since") is None
        and resumed.param("page") in (None, "1")
    )
    assert not from_the_start
    source.refresh_from_db()
    assert source.listing == {}
    assert source.cursor == max(i.updated_at for i in fake.issues.values())
    assert (source.paused_until, source.failing_since) == (None, None)


@pytest.mark.parametrize("tracker", KINDS, indirect=True)
def test_a_short_rate_limit_is_waited_out_inside_the_run(tracker, make_source):
    fake, project = tracker
    fake.add_issues(project, 7)
    source = make_source(fake, project)
    fake.between_pages = lambda page: (
        page == 1 and fake.fail_next(Fault.rate_limited(retry_after=1))
    )

    run = services.source_sync(source=source)

    assert (run.status, run.created) == (RunStatus.OK, 7)
    assert run.waited > 0.5
    source.refresh_from_db()
    assert (source.paused_until, source.failing_since) == (None, None)


def test_an_outage_mid_listing_keeps_what_was_stored_and_the_next_run_goes_on(
    fake_gitlab, make_source
):
    fake_gitlab.add_issues(PROJECT, 9)
    source = make_source(fake_gitlab, PROJECT)
    fake_gitlab.between_pages = lambda page: (
        page == 2 and fake_gitlab.fail_next(Fault.server_error(503))
    )

    with pytest.raises(TrackerUnavailable):
        services.source_sync(source=source)

    fake_gitlab.between_pages = None
    assert len(held(source)) == 6
    run = services.source_sync(source=source)
    assert (run.resumed_after_page, run.created) == (2, 3)
    assert_mirrors(source, fake_gitlab)


def test_a_full_listing_under_way_is_resumed_by_an_incremental_request(fake_github, make_source):
    fake_github.add_issues(REPO, 8)
    source = make_source(fake_github, REPO)
    services.source_sync(source=source)
    fake_github.between_pages = lambda page: (
        page == 1 and fake_github.fail_next(Fault.server_error(502))
    )
    with pytest.raises(TrackerUnavailable):
        services.source_sync(source=source, full=True)
    fake_github.between_pages = None

    run = services.source_sync(source=source)  # the beat asks for an incremental one

    assert (run.kind, run.resumed_after_page) == (RunKind.FULL, 1)


def test_an_incremental_listing_under_way_gives_way_to_a_full_one(fake_github, make_source):
    fake_github.add_issues(REPO, 8)
    source = make_source(fake_github, REPO)
    fake_github.between_pages = lambda page: (
        page == 1 and fake_github.fail_next(Fault.server_error(502))
    )
    with pytest.raises(TrackerUnavailable):
        services.source_sync(source=source)
    fake_github.between_pages = None

    run = services.source_sync(source=source, full=True)

    assert (run.kind, run.resumed_after_page, run.created) == (RunKind.FULL, None, 5)


def test_a_listing_saved_for_another_project_is_dropped(fake_github, make_source):
    fake_github.add_issues(REPO, 8)
    fake_github.add_issues("bootc-dev/other", 2)
    source = make_source(fake_github, REPO)
    fake_github.between_pages = lambda page: (
        page == 1 and fake_github.fail_next(Fault.server_error(502))
    )
    with pytest.raises(TrackerUnavailable):
        services.source_sync(source=source)
    fake_github.between_pages = None
    source.project = "bootc-dev/other"  # what the initiative file's loader does
    source.save(update_fields=["project"])

    run = services.source_sync(source=source)

    assert (run.resumed_after_page, run.created) == (None, 2)


# writers during the listing


@pytest.mark.parametrize("tracker", KINDS, indirect=True)
def test_writers_during_the_listing_leave_it_equal_to_the_tracker_after_one_more_run(
    tracker, make_source
):
    """While the first listing pages, the tracker keeps changing: after every page an issue
    already read is edited, one not yet read is deleted and one is created. The database
    equals the tracker after that run and at most one incremental run."""
    fake, project = tracker
    fake.add_issues(project, 15)
    source = make_source(fake, project)
    victims = iter([14, 12, 10, 8, 6])

    def write(page: int) -> None:
        fake.update_issue(project, 1, title=f"edited after page {page}")
        victim = next(victims, None)
        if victim is not None and (project, victim) in fake.issues:
            fake.delete_issue(project, victim)
        fake.add_issue(project, title=f"created after page {page}")

    fake.between_pages = write
    services.source_sync(source=source)
    fake.between_pages = None
    services.source_sync(source=source)

    assert_mirrors(source, fake)


def test_a_group_larger_than_the_offset_limit_syncs_whole(make_source):
    with FakeGitLab(token="glpat-fake-secret-4242", max_offset=6) as fake:
        for n in range(14):
            fake.add_issue(f"fedora/bootc/{'tracker' if n % 2 else 'base-images'}")
        source = make_source(fake, "fedora/bootc", is_group=True, name="bootc-group")

        run = services.source_sync(source=source)

        assert (run.status, run.created) == (RunStatus.OK, 14)
        assert_mirrors(source, fake)


def test_equal_timestamps_at_a_page_boundary_survive_an_interrupted_run(fake_gitlab, make_source):
    """Page 1 ends inside a run of issues sharing one updated_at, and page 2 fails: page 1 is
    kept with the position after it, and the next run gets the ones page 1 did not."""
    fake_gitlab.add_issues(PROJECT, 2)
    same = fake_gitlab.tick()
    for _ in range(5):
        fake_gitlab.add_issue(PROJECT, updated_at=same)
    source = make_source(fake_gitlab, PROJECT)
    fake_gitlab.between_pages = lambda page: (
        page == 1 and fake_gitlab.fail_next(Fault.server_error(500), times=2)
    )

    with pytest.raises(TrackerUnavailable):
        services.source_sync(source=source)

    assert sorted(held(source)) == [1, 2, 3]
    source.refresh_from_db()
    assert source.cursor is None
    fake_gitlab.between_pages = None
    run = services.source_sync(source=source)
    assert run.created == 4
    assert_mirrors(source, fake_gitlab)


@pytest.mark.parametrize("tracker", ["gitlab", "github"], indirect=True)
def test_an_edit_during_paging_then_a_failed_page_never_skips_an_issue(tracker, make_source):
    """An edit during paging moves an issue to the end, then page 3 fails. The resumed
    listing still reads every issue, the edited one with its new data."""
    fake, project = tracker
    fake.add_issues(project, 7)
    source = make_source(fake, project)
    services.source_sync(source=source)
    for number in range(1, 8):
        fake.update_issue(project, number, title=f"Second edit of {number}")

    def edit_then_fail(page: int) -> None:
        if page == 1:
            fake.update_issue(project, 2, title="Edited while paging")
        if page == 2:
            fake.fail_next(Fault.server_error(500))

    fake.between_pages = edit_then_fail
    with pytest.raises(TrackerUnavailable):
        services.source_sync(source=source)
    fake.between_pages = None

    run = services.source_sync(source=source)

    assert run.status == RunStatus.OK
    assert held(source)[4].title == "Second edit of 4"
    assert held(source)[2].title == "Edited while paging"
    assert_mirrors(source, fake)
