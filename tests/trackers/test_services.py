"""The sync service against local fakes of GitLab v4, GitHub REST and Forgejo v1."""

import io
import logging
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.trackers.fakes import Fault
from trackers import services
from trackers.clients.base import (
    RateLimited,
    TrackerAuthError,
    TrackerGarbage,
    TrackerUnavailable,
)
from trackers.models import RunStatus, SyncRun, TrackedIssue

PROJECT = "fedora/bootc/tracker"
REPO = "bootc-dev/bootc"
FORGE_REPO = "atomic-desktops/tracker"


def held(source, **filters):
    """{number: TrackedIssue} of what fedimage holds for the source."""
    return {i.number: i for i in TrackedIssue.objects.filter(source=source, **filters)}


def assert_mirrors(source, fake, project):
    """What fedimage holds equals what the tracker has: titles, states, labels, times."""
    expected = {
        i.number: (i.title, i.state, list(i.labels), i.updated_at)
        for i in fake.project_issues(project)
        if not i.is_pull_request
    }
    got = {
        n: (i.title, i.state, i.labels, i.updated_at)
        for n, i in held(source, removed=False).items()
    }
    assert got == expected


# first sync


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
    assert (run.pages, run.requests) == (2, 3)  # two pages of three, and the boards
    assert_mirrors(source, fake_gitlab, PROJECT)
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
    assert source.last_success_at is not None
    assert source.last_error == ""


def test_first_gitlab_sync_reads_board_columns_from_list_labels(fake_gitlab, make_source):
    fake_gitlab.add_board(PROJECT, "Development", ["To Do", "Doing"], assignee_list=True)
    fake_gitlab.add_issue(PROJECT, labels=["Doing", "bug"])
    fake_gitlab.add_issue(PROJECT, labels=["bug"])
    fake_gitlab.add_issue(PROJECT, labels=["To Do", "Doing"])
    fake_gitlab.add_issue(PROJECT, labels=["Doing"], state="closed")
    source = make_source(fake_gitlab, PROJECT)

    services.source_sync(source=source)

    source.refresh_from_db()
    assert (source.board_name, source.board_columns) == ("Development", ["To Do", "Doing"])
    columns = {n: i.board_column for n, i in held(source).items()}
    assert columns == {1: "Doing", 2: "Open", 3: "To Do", 4: "Closed"}


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


def test_first_forgejo_sync_stores_every_page(fake_forgejo, make_source):
    fake_forgejo.add_issues(FORGE_REPO, 7)
    fake_forgejo.add_pull_request(FORGE_REPO)
    source = make_source(fake_forgejo, FORGE_REPO)

    run = services.source_sync(source=source)

    assert run.created == 7
    assert_mirrors(source, fake_forgejo, FORGE_REPO)
    source.refresh_from_db()
    assert source.cursor == fake_forgejo.issues[FORGE_REPO, 7].updated_at


# incremental


@pytest.mark.parametrize("kind", ["gitlab", "github", "forgejo"])
def test_incremental_sync_fetches_only_changes_and_upserts(
    kind, fake_gitlab, fake_github, fake_forgejo, make_source
):
    fake, project = {
        "gitlab": (fake_gitlab, PROJECT),
        "github": (fake_github, REPO),
        "forgejo": (fake_forgejo, FORGE_REPO),
    }[kind]
    fake.add_issues(project, 8)
    source = make_source(fake, project)
    services.source_sync(source=source)
    fake.update_issue(project, 2, labels=["triaged"], title="Renamed")
    fake.close_issue(project, 5)
    fake.add_issue(project, title="Brand new")
    fake.clear_requests()

    run = services.source_sync(source=source)

    assert (run.created, run.updated) == (1, 2)
    assert run.kind == "incremental"
    assert_mirrors(source, fake, project)
    assert TrackedIssue.objects.filter(source=source).count() == 9
    assert run.requests == len(fake.requests) == run.pages == 2  # four changes, pages of three
    assert any(
        "updated" in line and "#5" in line and "state open -> closed" in line
        for line in run.changes
    )


def test_gitlab_resync_without_changes_costs_one_request_and_changes_nothing(
    fake_gitlab, make_source
):
    fake_gitlab.add_issues(PROJECT, 7)
    source = make_source(fake_gitlab, PROJECT)
    services.source_sync(source=source)
    before = {n: i.synced_at for n, i in held(source).items()}

    run = services.source_sync(source=source)

    assert (run.requests, run.created, run.updated, run.unchanged) == (1, 0, 0, 1)
    assert {n: i.synced_at for n, i in held(source).items()} == before


def test_github_resync_without_changes_is_one_free_304(fake_github, make_source):
    fake_github.add_issues(REPO, 7)
    source = make_source(fake_github, REPO)
    services.source_sync(source=source)
    services.source_sync(source=source)  # one request at the cursor: now the ETag is for it
    budget = fake_github.rate_remaining
    fake_github.clear_requests()

    run = services.source_sync(source=source)

    assert run.status == RunStatus.NOT_MODIFIED
    assert (run.requests, run.created, run.updated) == (1, 0, 0)
    assert fake_github.requests[0].headers["if-none-match"]
    assert fake_github.rate_remaining == budget  # 304s are free
    # A change after a 304 is still seen.
    fake_github.update_issue(REPO, 3, title="Changed")
    run = services.source_sync(source=source)
    assert (run.status, run.updated) == (RunStatus.OK, 1)
    assert held(source)[3].title == "Changed"


def test_issue_updated_while_paging_ends_up_right(fake_gitlab, make_source):
    fake_gitlab.add_issues(PROJECT, 9)
    source = make_source(fake_gitlab, PROJECT)
    done = []

    def change(page):
        if not done:
            done.append(page)
            fake_gitlab.update_issue(PROJECT, 1, title="Edited while paging")

    fake_gitlab.between_pages = change
    services.source_sync(source=source)
    fake_gitlab.between_pages = None
    services.source_sync(source=source)

    assert_mirrors(source, fake_gitlab, PROJECT)
    assert held(source)[1].title == "Edited while paging"


def test_issue_updated_while_github_pages_ends_up_right(fake_github, make_source):
    fake_github.add_issues(REPO, 9)
    source = make_source(fake_github, REPO)
    fake_github.between_pages = lambda page: (
        page == 1 and fake_github.update_issue(REPO, 2, title="Edited while paging")
    )

    services.source_sync(source=source)
    fake_github.between_pages = None
    services.source_sync(source=source)

    assert_mirrors(source, fake_github, REPO)


def test_equal_timestamps_at_a_page_boundary_survive_an_interrupted_run(fake_gitlab, make_source):
    """Page 1 ends inside a run of issues sharing one updated_at, and page 2 fails: page 1 is
    kept but the cursor does not move, so the next run still gets the ones page 1 did not."""
    fake_gitlab.add_issues(PROJECT, 2)
    same = fake_gitlab.tick()
    for _ in range(5):
        fake_gitlab.add_issue(PROJECT, updated_at=same)
    source = make_source(fake_gitlab, PROJECT)
    fake_gitlab.between_pages = lambda page: (
        page == 1 and fake_gitlab.fail_next(Fault.server_error(500), times=3)
    )  # python-gitlab tries three times

    with pytest.raises(TrackerUnavailable):
        services.source_sync(source=source)

    assert sorted(held(source)) == [1, 2, 3]
    source.refresh_from_db()
    assert source.cursor is None
    fake_gitlab.between_pages = None
    run = services.source_sync(source=source)
    assert run.created == 4
    assert_mirrors(source, fake_gitlab, PROJECT)


@pytest.mark.parametrize("kind", ["gitlab", "github"])
def test_shift_noticed_only_after_a_failed_page_never_skips_an_issue(
    kind, fake_gitlab, fake_github, make_source
):
    """An update during paging moves an issue to the end, so page 2 skips the next one; the
    shift would show on page 3, which fails. The cursor moves only when the last page is
    stored, so the next incremental run still gets the skipped issue."""
    fake, project = (fake_gitlab, PROJECT) if kind == "gitlab" else (fake_github, REPO)
    fake.add_issues(project, 7)
    source = make_source(fake, project)
    services.source_sync(source=source)
    cursor_before = source.cursor
    for number in range(1, 8):
        fake.update_issue(project, number, title=f"Second edit of {number}")

    def shift_then_fail(page: int) -> None:
        if page == 1:
            fake.update_issue(project, 2, title="Edited while paging")
        if page == 2:
            fake.fail_next(Fault.server_error(500), times=3)

    fake.between_pages = shift_then_fail
    with pytest.raises(TrackerUnavailable):
        services.source_sync(source=source)
    fake.between_pages = None
    source.refresh_from_db()
    assert source.cursor == cursor_before

    run = services.source_sync(source=source)

    assert run.status == RunStatus.OK
    assert held(source)[4].title == "Second edit of 4"
    assert_mirrors(source, fake, project)


def test_forgejo_update_during_paging_to_an_issue_already_read_is_not_lost(
    fake_forgejo, make_source
):
    """Forgejo lists newest-created first: issue 7 (page 1) edited while page 2 is read keeps
    its place and is not seen again; the cursor stops at the server time of the first page, so
    the next run reads that edit even though page 2 held a later update."""
    fake_forgejo.add_issues(FORGE_REPO, 7)
    source = make_source(fake_forgejo, FORGE_REPO)
    services.source_sync(source=source)
    for number in range(2, 8):
        fake_forgejo.update_issue(FORGE_REPO, number, title=f"Second edit of {number}")

    def edit_during_paging(page: int) -> None:
        if page == 1:
            fake_forgejo.update_issue(FORGE_REPO, 7, title="Edited on page 1 while paging")
            fake_forgejo.update_issue(FORGE_REPO, 3, title="Edited on page 2 while paging")

    fake_forgejo.between_pages = edit_during_paging
    services.source_sync(source=source)
    fake_forgejo.between_pages = None
    assert held(source)[7].title == "Second edit of 7"  # read before the edit

    services.source_sync(source=source)

    assert held(source)[7].title == "Edited on page 1 while paging"
    assert_mirrors(source, fake_forgejo, FORGE_REPO)


@pytest.mark.parametrize("kind", ["gitlab", "github", "forgejo"])
def test_nul_characters_from_a_tracker_are_dropped_and_the_page_is_stored(
    kind, fake_gitlab, fake_github, fake_forgejo, make_source
):
    """PostgreSQL text and jsonb refuse NUL: one pasted log must not fail every run forever."""
    fake, project = {
        "gitlab": (fake_gitlab, PROJECT),
        "github": (fake_github, REPO),
        "forgejo": (fake_forgejo, FORGE_REPO),
    }[kind]
    fake.add_issues(project, 2)
    fake.add_issue(
        project, title="Boot\x00fails", body="pasted log\x00with a NUL", labels=["bug\x00"]
    )
    fake.add_issues(project, 3)
    source = make_source(fake, project)

    run = services.source_sync(source=source)

    assert (run.status, run.created) == (RunStatus.OK, 6)
    issue = held(source)[3]
    assert (issue.title, issue.body, issue.labels) == ("Bootfails", "pasted logwith a NUL", ["bug"])
    source.refresh_from_db()
    assert source.cursor == max(i.updated_at for i in fake.project_issues(project))


def test_confidential_issue_titles_stay_out_of_the_public_ledger(fake_gitlab, make_source, client):
    """The run ledger is shown to anyone on /trackers/ and /api/trackers/runs/: a confidential
    issue appears there by reference and state only."""
    fake_gitlab.add_issue(PROJECT, title="Embargoed CVE in composefs", confidential=True)
    fake_gitlab.add_issue(PROJECT, title="Public bug")
    source = make_source(fake_gitlab, PROJECT)

    run = services.source_sync(source=source)

    assert run.changes == [f"created {PROJECT}#1 (open)", f"created {PROJECT}#2 (open) Public bug"]
    for url in ("/trackers/", source.get_absolute_url(), "/api/trackers/runs/"):
        response = client.get(url)
        assert response.status_code == 200
        assert "Embargoed" not in response.content.decode(), url
    assert "Public bug" in client.get(source.get_absolute_url()).content.decode()


# deletion and move


def test_full_sync_flags_deleted_issues_removed_and_keeps_them(fake_github, make_source):
    fake_github.add_issues(REPO, 5)
    source = make_source(fake_github, REPO)
    services.source_sync(source=source)
    fake_github.delete_issue(REPO, 3)

    incremental = services.source_sync(source=source)
    assert incremental.removed == 0  # a listing of changes cannot see a deletion
    run = services.source_sync(source=source, full=True)

    assert (run.kind, run.removed, run.created, run.updated) == ("full", 1, 0, 0)
    gone = held(source)[3]
    assert gone.removed
    assert gone.removed_at is not None
    assert gone.title == "Issue 3"  # the last good data stays
    assert run.changes == [f"removed {REPO}#3 (gone upstream)"]


def test_reconcile_reports_what_incremental_sync_missed(fake_gitlab, make_source):
    fake_gitlab.add_issues(PROJECT, 4)
    source = make_source(fake_gitlab, PROJECT)
    services.source_sync(source=source)
    # Simulate a lost change: the tracker changed an issue behind the cursor.
    fake_gitlab.issues[PROJECT, 2].title = "Changed behind the cursor"
    TrackedIssue.objects.filter(source=source, number=4).delete()

    run = services.source_reconcile(source=source)

    assert (run.created, run.updated, run.removed) == (1, 1, 0)
    assert f"updated {PROJECT}#2: title" in run.changes
    assert any(line.startswith(f"created {PROJECT}#4") for line in run.changes)
    assert_mirrors(source, fake_gitlab, PROJECT)


def test_gitlab_moved_issue_is_closed_and_points_at_its_copy(fake_gitlab, make_source):
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


def test_webhook_issue_sync_flags_a_deleted_issue(fake_forgejo, make_source):
    fake_forgejo.add_issues(FORGE_REPO, 2)
    source = make_source(fake_forgejo, FORGE_REPO)
    services.source_sync(source=source)
    fake_forgejo.delete_issue(FORGE_REPO, 1)
    fake_forgejo.update_issue(FORGE_REPO, 2, title="Via the hook")

    gone = services.issue_sync(source=source, project=FORGE_REPO, number=1)
    changed = services.issue_sync(source=source, project=FORGE_REPO, number=2)

    assert (gone.kind, gone.removed, gone.requests) == ("issue", 1, 1)
    assert changed.updated == 1
    assert held(source)[1].removed
    assert held(source)[2].title == "Via the hook"


def test_removed_issue_that_comes_back_is_restored(fake_github, make_source):
    fake_github.add_issues(REPO, 2)
    source = make_source(fake_github, REPO)
    services.source_sync(source=source)
    TrackedIssue.objects.filter(number=2).update(removed=True)

    run = services.source_sync(source=source, full=True)

    assert run.updated == 1
    assert "restored" in run.changes[0]
    assert not held(source)[2].removed


# failures


def test_rate_limited_sync_records_the_wait_and_keeps_data(fake_github, make_source):
    fake_github.add_issues(REPO, 4)
    source = make_source(fake_github, REPO)
    services.source_sync(source=source)
    fake_github.update_issue(REPO, 1, title="Not seen yet")
    fake_github.fail_next(Fault.rate_limited(status=403, retry_after=120))

    with pytest.raises(RateLimited) as excinfo:
        services.source_sync(source=source)

    assert excinfo.value.retry_after_seconds == 120
    source.refresh_from_db()
    assert source.paused_until is not None
    assert source.is_failing
    assert "RateLimited" in source.last_error
    run = SyncRun.objects.filter(source=source).first()
    assert (run.status, run.requests) == (RunStatus.FAILED, 1)
    assert held(source)[1].title == "Issue 1"
    assert not services.sources_due().filter(pk=source.pk).exists()


@pytest.mark.parametrize(
    "fault", [Fault.html_page(), Fault.truncated_json(), Fault.wrong_type("title", 5)]
)
def test_garbage_page_fails_the_run_and_writes_nothing_of_it(fault, fake_gitlab, make_source):
    fake_gitlab.add_issues(PROJECT, 3)
    source = make_source(fake_gitlab, PROJECT)
    fake_gitlab.fail_next(Fault.server_error(404))  # boards: none
    fake_gitlab.fail_next(fault)

    with pytest.raises((TrackerGarbage, TrackerUnavailable)):
        services.source_sync(source=source)

    assert TrackedIssue.objects.count() == 0
    run = SyncRun.objects.get(source=source)
    assert run.status == RunStatus.FAILED
    assert run.error


def test_dead_source_does_not_block_the_others(dead_url, fake_github, make_source, capsys):
    from django.core.management import CommandError, call_command

    dead = make_source(dead_url, "fedora/dead", kind="gitlab", name="a-dead")
    fake_github.add_issues(REPO, 2)
    alive = make_source(fake_github, REPO, name="b-alive")

    with pytest.raises(CommandError, match="1 source"):
        call_command("sync_trackers")

    out = capsys.readouterr().out
    assert "a-dead: FAILED" in out
    assert "b-alive: 2 created" in out
    assert len(held(alive)) == 2
    dead.refresh_from_db()
    assert "TrackerUnavailable" in dead.last_error
    assert dead.last_success_at is None


@pytest.mark.parametrize("kind", ["gitlab", "github", "forgejo"])
def test_token_never_appears_in_pages_api_logs_or_database(
    kind, fake_gitlab, fake_github, fake_forgejo, make_source, monkeypatch, client, caplog
):
    """The token is read from the environment for each request and goes nowhere else: not
    after a good run, not after the tracker refused it."""
    fake, project = {
        "gitlab": (fake_gitlab, PROJECT),
        "github": (fake_github, REPO),
        "forgejo": (fake_forgejo, FORGE_REPO),
    }[kind]
    token = fake.token
    fake.add_issues(project, 2)
    source = make_source(fake, project)

    with caplog.at_level(logging.DEBUG):
        assert services.source_sync(source=source).created == 2
        monkeypatch.setenv(source.token_env, token + "-revoked")
        with pytest.raises(TrackerAuthError):
            services.source_sync(source=source)
        pages = [
            client.get(url).content.decode()
            for url in (
                "/trackers/",
                source.get_absolute_url(),
                f"/trackers/issues/?source={source.name}",
                "/api/trackers/sources/",
                "/api/trackers/runs/",
                "/api/trackers/issues/",
            )
        ]
    database = io.StringIO()
    call_command("dumpdata", "trackers", stdout=database)

    assert fake.requests  # the token was used...
    assert any(token in v for r in fake.requests for v in r.headers.values())
    assert "Issue 1" in pages[2]  # ...and what is looked at holds the synced data
    assert "TrackerAuthError" in pages[1]
    for where, text in [
        *zip(["pages and API"] * len(pages), pages, strict=True),
        ("logs", caplog.text),
        ("database", database.getvalue()),
    ]:
        assert token not in text, where
        assert "revoked" not in text, where


def test_named_token_missing_syncs_anonymously_and_keeps_confidential_issues(
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


def test_sync_of_a_source_already_syncing_is_refused(fake_gitlab, make_source):
    source = make_source(fake_gitlab, PROJECT)
    with services._locked(source) as acquired:
        assert acquired
        with pytest.raises(services.SyncInProgress):
            services.source_sync(source=source)
    assert not SyncRun.objects.exists()


def test_sync_command_prints_what_changed(fake_gitlab, make_source, capsys):
    from django.core.management import call_command

    fake_gitlab.add_issue(PROJECT, title="Release race condition in Konflux")
    make_source(fake_gitlab, PROJECT, name="tracker")

    call_command("sync_trackers", "--source", "tracker", "--full")

    out = capsys.readouterr().out
    assert "tracker: 1 created, 0 updated, 0 removed" in out
    assert f"created {PROJECT}#1 (open) Release race condition in Konflux" in out


# runs a dead worker left behind


def test_sync_closes_runs_a_killed_worker_left_running_and_the_ledger_shows_them(
    fake_github, make_source, client
):
    fake_github.add_issues(REPO, 2)
    source = make_source(fake_github, REPO)
    started = timezone.now() - timedelta(hours=3)
    stranded = SyncRun.objects.create(source=source, trigger="beat", started_at=started)

    run = services.source_sync(source=source)

    stranded.refresh_from_db()
    assert stranded.status == RunStatus.INTERRUPTED
    assert stranded.error.startswith("worker stopped before the run finished")
    assert started < stranded.finished_at <= run.started_at
    assert run.status == RunStatus.OK
    page = client.get(source.get_absolute_url()).content.decode()
    assert "Interrupted" in page
    assert "worker stopped before the run finished" in page


def test_webhook_issue_sync_closes_stranded_runs_too(fake_github, make_source):
    fake_github.add_issues(REPO, 1)
    source = make_source(fake_github, REPO)
    stranded = SyncRun.objects.create(source=source, kind="full")

    services.issue_sync(source=source, project=REPO, number=1)

    stranded.refresh_from_db()
    assert (stranded.status, stranded.finished_at is not None) == (RunStatus.INTERRUPTED, True)


def test_a_sync_refused_by_the_lock_leaves_the_live_run_alone(fake_github, make_source):
    fake_github.add_issues("bootc-dev/other", 1)
    source = make_source(fake_github, REPO)
    other = make_source(fake_github, "bootc-dev/other")
    live = SyncRun.objects.create(source=source)
    elsewhere = SyncRun.objects.create(source=other)

    with services._locked(source) as held_by_live_run:
        assert held_by_live_run
        with pytest.raises(services.SyncInProgress):
            services.source_sync(source=source)
    services.source_sync(source=other)

    live.refresh_from_db()
    elsewhere.refresh_from_db()
    assert (live.status, live.finished_at, live.error) == (RunStatus.RUNNING, None, "")
    assert elsewhere.status == RunStatus.INTERRUPTED
