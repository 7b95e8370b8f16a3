"""`manage.py sync_trackers`: progress per page, a summary per source, pauses respected."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.trackers.fakes import Fault
from tests.trackers.sync.conftest import PROJECT, REPO, held
from trackers.models import TrackedIssue
from trackers.sync import ledger


def test_it_prints_progress_per_page_and_one_summary_per_source(fake_github, make_source, capsys):
    fake_github.add_issues(REPO, 7)
    make_source(fake_github, REPO, name="bootc")

    call_command("sync_trackers", "--source", "bootc")

    out = capsys.readouterr().out.splitlines()
    progress = [line for line in out if line.startswith("  bootc: page ")]
    assert progress[0].startswith("  bootc: page 1/")
    assert "issues so far" in progress[0]
    assert "requests, rate budget left" in progress[0]
    assert len(progress) == 3
    summary = next(line for line in out if line.startswith("bootc: "))
    assert summary.startswith("bootc: 7 created, 0 updated, 0 removed, 0 unchanged; 3 pages")


def test_it_says_how_many_changes_it_did_not_print(fake_github, make_source, capsys, monkeypatch):
    monkeypatch.setattr(ledger, "MAX_CHANGES_KEPT", 6)
    fake_github.add_issues(REPO, 9)
    make_source(fake_github, REPO, name="bootc")

    call_command("sync_trackers", "--changes", "4")

    out = capsys.readouterr().out
    assert "  ... and 5 more" in out  # nine created, four printed


def test_a_dead_source_fails_the_command_without_blocking_the_others(
    dead_url, fake_github, make_source, capsys
):
    dead = make_source(dead_url, "fedora/dead", kind="gitlab", name="a-dead")
    fake_github.add_issues(REPO, 2)
    alive = make_source(fake_github, REPO, name="b-alive")

    with pytest.raises(CommandError, match=r"1 source\(s\) failed \(a-dead\)"):
        call_command("sync_trackers")

    out = capsys.readouterr().out
    assert "a-dead: FAILED" in out
    assert "b-alive: 2 created" in out
    assert len(held(alive)) == 2
    dead.refresh_from_db()
    assert "TrackerUnavailable" in dead.last_error
    assert dead.last_success_at is None


def test_a_paused_source_is_left_alone_unless_forced(fake_github, make_source, capsys):
    fake_github.add_issues(REPO, 2)
    until = timezone.now() + timedelta(minutes=12)
    make_source(fake_github, REPO, name="bootc", paused_until=until)

    call_command("sync_trackers")

    out = capsys.readouterr().out
    assert "bootc: paused by a rate limit until" in out
    assert "(in 11 minutes)" in out or "(in 12 minutes)" in out
    assert "use --force to sync anyway" in out
    assert not TrackedIssue.objects.exists()
    assert fake_github.requests == []

    call_command("sync_trackers", "--force")

    assert TrackedIssue.objects.count() == 2


def test_a_stopped_listing_says_where_it_resumes(fake_gitlab, make_source, capsys):
    fake_gitlab.add_issues(PROJECT, 9)
    make_source(fake_gitlab, PROJECT, name="tracker")
    fake_gitlab.between_pages = lambda page: (
        page == 1 and fake_gitlab.fail_next(Fault.server_error(502), times=2)
    )

    with pytest.raises(CommandError):
        call_command("sync_trackers", "--source", "tracker")

    out = capsys.readouterr().out
    assert "tracker: FAILED" in out
    assert "resumes after page 1" in out


def test_full_prints_what_changed(fake_gitlab, make_source, capsys):
    fake_gitlab.add_issue(PROJECT, title="Release race condition in Konflux")
    make_source(fake_gitlab, PROJECT, name="tracker")

    call_command("sync_trackers", "--source", "tracker", "--full")

    out = capsys.readouterr().out
    assert "tracker: 1 created, 0 updated, 0 removed" in out
    assert f"created {PROJECT}#1 (open) Release race condition in Konflux" in out


def test_an_unknown_source_is_refused_with_the_known_ones(fake_github, make_source):
    make_source(fake_github, REPO, name="bootc")

    with pytest.raises(CommandError, match=r"unknown source nope \(known: bootc\)"):
        call_command("sync_trackers", "--source", "nope")
