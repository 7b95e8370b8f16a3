"""The reconcile stage: deletions, transfers and moves seen by the next run, without listing
everything again; what a full run corrects."""

import pytest

from tests.trackers.fakes import Fault
from tests.trackers.sync.conftest import PROJECT, REPO, assert_mirrors, held, trackers
from trackers import services
from trackers.models import RunStatus, TrackedIssue
from trackers.sync import reconcile

KINDS = ["gitlab", "github", "forgejo"]


@pytest.fixture
def tracker(request, fake_gitlab, fake_github, fake_forgejo):
    return trackers(request.param, fake_gitlab, fake_github, fake_forgejo)


@pytest.mark.parametrize("tracker", KINDS, indirect=True)
def test_an_issue_deleted_upstream_is_flagged_by_the_next_incremental_run(tracker, make_source):
    fake, project = tracker
    fake.add_issues(project, 5)
    source = make_source(fake, project)
    services.source_sync(source=source)
    fake.delete_issue(project, 3)

    run = services.source_sync(source=source)

    assert (run.kind, run.removed, run.created, run.updated) == ("incremental", 1, 0, 0)
    gone = held(source)[3]
    assert gone.removed
    assert gone.removed_at is not None
    assert gone.title == "Issue 3"  # the last good data stays
    assert f"removed {project}#3 (gone upstream)" in run.changes
    source.refresh_from_db()
    assert source.issues_held == 4


def test_finding_deletions_in_a_large_source_reads_only_the_ranges_that_differ(
    fake_gitlab, make_source, monkeypatch
):
    """40 issues in pages of three (14 pages to list them all): two deletions are found by
    halving the time range where the counts differ, listing only a few issues whole."""
    monkeypatch.setattr(reconcile, "RANGE_LISTED", 4)
    fake_gitlab.add_issues(PROJECT, 40)
    source = make_source(fake_gitlab, PROJECT)
    services.source_sync(source=source)
    fake_gitlab.delete_issue(PROJECT, 7)
    fake_gitlab.delete_issue(PROJECT, 31)
    fake_gitlab.clear_requests()

    run = services.source_sync(source=source)

    assert run.removed == 2
    assert {n for n, i in held(source).items() if i.removed} == {7, 31}
    listed = [r for r in fake_gitlab.requests if r.path.endswith("/issues")]
    assert len(listed) <= 5  # the run's own listing, and the ranges that differ
    assert run.requests < 14  # what listing everything again would cost
    assert_mirrors(source, fake_gitlab)


def test_equal_counts_cost_one_request(fake_forgejo, make_source):
    fake_forgejo.add_issues("atomic-desktops/tracker", 4)
    source = make_source(fake_forgejo, "atomic-desktops/tracker")
    services.source_sync(source=source)
    fake_forgejo.clear_requests()

    services.source_sync(source=source)

    counts = [r for r in fake_forgejo.requests if r.param("limit") == "1"]
    assert len(counts) == 1


def test_a_github_issue_transferred_away_is_flagged_moved_to_its_new_home(fake_github, make_source):
    fake_github.add_issues(REPO, 4)
    source = make_source(fake_github, REPO)
    services.source_sync(source=source)
    moved = fake_github.transfer_issue(REPO, 2, "bootc-dev/bootc-image-builder")

    run = services.source_sync(source=source)

    issue = held(source)[2]
    new_home = f"https://github.com/bootc-dev/bootc-image-builder/issues/{moved.number}"
    assert (issue.removed, issue.moved_to) == (True, new_home)
    assert run.changes == [f"removed {REPO}#2 (moved to {new_home})"]
    assert not held(source)[1].removed


def test_a_moved_gitlab_issue_is_closed_and_points_at_its_copy(fake_gitlab, make_source):
    fake_gitlab.add_issues(PROJECT, 3)
    fake_gitlab.add_project("fedora/bootc/base-images")
    tracker = make_source(fake_gitlab, PROJECT)
    base = make_source(fake_gitlab, "fedora/bootc/base-images")
    services.source_sync(source=tracker)
    services.source_sync(source=base)
    fake_gitlab.move_issue(PROJECT, 2, "fedora/bootc/base-images")

    services.source_sync(source=base)
    run = services.source_sync(source=tracker)

    moved = held(tracker)[2]
    assert moved.state == "closed"
    assert moved.moved_to_issue == held(base)[1]
    assert f"moved {PROJECT}#2 -> fedora/bootc/base-images#1" in run.changes


def test_a_full_run_reports_what_incremental_runs_missed(fake_gitlab, make_source):
    fake_gitlab.add_issues(PROJECT, 4)
    source = make_source(fake_gitlab, PROJECT)
    services.source_sync(source=source)
    # A change behind the cursor (no new updated_at), and a row lost on our side.
    fake_gitlab.issues[PROJECT, 2].title = "Changed behind the cursor"
    TrackedIssue.objects.filter(source=source, number=4).delete()

    run = services.source_sync(source=source, full=True)

    assert (run.kind, run.created, run.updated, run.removed) == ("full", 1, 1, 0)
    assert f"updated {PROJECT}#2: title" in run.changes
    assert any(line.startswith(f"created {PROJECT}#4") for line in run.changes)
    assert_mirrors(source, fake_gitlab)


def test_a_removed_issue_that_comes_back_is_restored(fake_github, make_source):
    fake_github.add_issues(REPO, 2)
    source = make_source(fake_github, REPO)
    services.source_sync(source=source)
    TrackedIssue.objects.filter(number=2).update(removed=True)

    run = services.source_sync(source=source, full=True)

    assert run.updated == 1
    assert any("restored" in line for line in run.changes)
    assert not held(source)[2].removed


def test_without_its_token_a_source_keeps_its_confidential_issues(
    fake_gitlab, make_source, monkeypatch
):
    fake_gitlab.token = None  # a public project
    fake_gitlab.add_issue(PROJECT, confidential=True)
    fake_gitlab.add_issue(PROJECT)
    source = make_source(fake_gitlab, PROJECT)
    services.source_sync(source=source)
    monkeypatch.delenv("TEST_GITLAB_TOKEN")

    run = services.source_sync(source=source, full=True)

    assert run.removed == 0
    assert not held(source)[1].removed
    assert {s["what"] for s in run.skipped} == {"token", "confidential issues"}
    assert "not set" in run.skipped[0]["why"]


def test_a_count_the_tracker_refuses_leaves_the_run_good_and_says_so(fake_forgejo, make_source):
    fake_forgejo.add_issues("atomic-desktops/tracker", 2)
    source = make_source(fake_forgejo, "atomic-desktops/tracker")
    fake_forgejo.between_pages = None
    fake_forgejo.before_request = lambda request: (
        request.param("limit") == "1" and (fake_forgejo.fail_next(Fault.html_page(status=502)))
    )

    run = services.source_sync(source=source)

    assert (run.status, run.created) == (RunStatus.OK, 2)
    assert run.skipped[0]["what"] == "deletion check"
    assert "TrackerUnavailable" in run.skipped[0]["why"]
