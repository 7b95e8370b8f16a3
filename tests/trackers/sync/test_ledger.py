"""The ledger stage: runs recorded whatever happens, and a source status that tells the truth
about its listings (webhook runs never hide a failing or paused source)."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.trackers.fakes import Fault
from tests.trackers.sync.conftest import PROJECT, REPO, held, wait_is_over
from trackers import services
from trackers.clients.base import (
    RateLimited,
    TrackerAuthError,
    TrackerGarbage,
    TrackerUnavailable,
)
from trackers.models import RunKind, RunStatus, SyncRun, TrackedIssue
from trackers.status import source_status


def test_a_rate_limited_sync_records_the_wait_pauses_and_keeps_the_data(fake_github, make_source):
    fake_github.add_issues(REPO, 4)
    source = make_source(fake_github, REPO)
    services.source_sync(source=source)
    fake_github.update_issue(REPO, 1, title="Not seen yet")
    fake_github.fail_next(Fault.rate_limited(status=403, retry_after=120))

    with pytest.raises(RateLimited) as caught:
        services.source_sync(source=source)

    assert caught.value.retry_after == 120
    source.refresh_from_db()
    assert source.is_paused()
    assert source.is_failing
    assert timedelta(seconds=110) < source.paused_until - timezone.now() <= timedelta(seconds=120)
    assert "RateLimited" in source.last_error
    run = SyncRun.objects.filter(source=source).order_by("-started_at").first()
    assert (run.status, run.requests) == (RunStatus.FAILED, 1)
    assert held(source)[1].title == "Issue 1"
    assert not services.sources_due().filter(pk=source.pk).exists()


@pytest.mark.parametrize(
    "fault", [Fault.html_page(), Fault.truncated_json(), Fault.wrong_type("title", 5)]
)
def test_a_garbage_page_fails_the_run_and_writes_nothing_of_it(fault, fake_gitlab, make_source):
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


def test_a_webhook_during_a_failing_listing_never_clears_the_failure_or_the_pause(
    fake_github, make_source, client
):
    """The listing is refused for two minutes; a webhook then syncs one issue fine. The issue
    is stored, but the source still says its listing fails and is paused, on the page and in
    the API, and the beat still leaves it alone."""
    fake_github.add_issues(REPO, 9)
    source = make_source(fake_github, REPO)
    fake_github.between_pages = lambda page: (
        page == 1 and fake_github.fail_next(Fault.rate_limited(retry_after=120))
    )
    with pytest.raises(RateLimited):
        services.source_sync(source=source)
    fake_github.between_pages = None
    # The webhook's fetch comes after the tracker's wait for it (its own budget).
    from trackers.models import RateBudget

    RateBudget.objects.update(blocked_until=None)
    source.refresh_from_db()
    failing_since, paused_until = source.failing_since, source.paused_until
    fake_github.update_issue(REPO, 8, title="Changed, then hooked")

    run = services.issue_sync(source=source, project=REPO, number=8)

    assert (run.kind, run.status, run.created) == (RunKind.ISSUE, RunStatus.OK, 1)
    assert held(source)[8].title == "Changed, then hooked"
    source.refresh_from_db()
    assert (source.failing_since, source.paused_until) == (failing_since, paused_until)
    assert source.last_success_at is None
    status = source_status(source)
    assert status.state == "paused"
    assert status.text.startswith("Listing failing since ")
    assert "paused until" in status.text
    assert "resuming at page 2" in status.text
    api = client.get(f"/api/trackers/sources/{source.name}/").json()
    assert api["listing_status"]["state"] == "paused"
    assert api["listing_status"]["resume_page"] == 2
    assert api["last_success_at"] is None
    assert "resuming at page 2" in client.get("/trackers/").content.decode()
    assert not services.sources_due().filter(pk=source.pk).exists()


def test_failing_since_is_the_first_failure_and_a_good_listing_clears_it(fake_github, make_source):
    fake_github.add_issues(REPO, 2)
    source = make_source(fake_github, REPO)
    fake_github.fail_next(Fault.server_error(500))
    with pytest.raises(TrackerUnavailable):
        services.source_sync(source=source)
    source.refresh_from_db()
    first = source.failing_since
    fake_github.fail_next(Fault.server_error(500))
    with pytest.raises(TrackerUnavailable):
        services.source_sync(source=source)
    source.refresh_from_db()
    assert source.failing_since == first
    assert source.last_error_at > first
    assert source.backoff_until > source.last_error_at

    services.source_sync(source=source)

    source.refresh_from_db()
    assert (source.failing_since, source.is_failing, source.backoff_until) == (None, False, None)
    assert source_status(source).state == "ok"


def test_a_refused_token_is_reported_with_the_name_of_its_variable(
    fake_gitlab, make_source, monkeypatch
):
    fake_gitlab.add_issues(PROJECT, 1)
    source = make_source(fake_gitlab, PROJECT)
    monkeypatch.setenv("TEST_GITLAB_TOKEN", "glpat-revoked")

    with pytest.raises(TrackerAuthError):
        services.source_sync(source=source)

    source.refresh_from_db()
    assert "check the token in the environment variable TEST_GITLAB_TOKEN" in source.last_error
    assert "glpat-revoked" not in source.last_error


def test_a_private_project_without_a_token_says_to_name_one(fake_gitlab, make_source):
    fake_gitlab.add_issues(PROJECT, 1)
    source = make_source(fake_gitlab, PROJECT, token_env="")

    with pytest.raises(TrackerAuthError):
        services.source_sync(source=source)

    source.refresh_from_db()
    assert "no token is configured: name one in token_env" in source.last_error


# runs a dead worker left behind


def test_a_sync_closes_runs_a_killed_worker_left_running_and_the_ledger_shows_them(
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


def test_a_webhook_issue_sync_closes_stranded_runs_too(fake_github, make_source):
    fake_github.add_issues(REPO, 1)
    source = make_source(fake_github, REPO)
    stranded = SyncRun.objects.create(source=source, kind="full")

    services.issue_sync(source=source, project=REPO, number=1)

    stranded.refresh_from_db()
    assert (stranded.status, stranded.finished_at is not None) == (RunStatus.INTERRUPTED, True)


def test_the_pause_ends_when_its_time_has_passed(fake_github, make_source):
    fake_github.add_issues(REPO, 2)
    source = make_source(fake_github, REPO)
    fake_github.fail_next(Fault.rate_limited(retry_after=300))
    with pytest.raises(RateLimited):
        services.source_sync(source=source)
    source.refresh_from_db()
    assert not services.sources_due().filter(pk=source.pk).exists()

    wait_is_over(source)

    assert services.sources_due().filter(pk=source.pk).exists()
    assert source_status(source).state == "failing"


# Logs of a sync: one line per run with its outcome, never one per HTTP request.


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [f"{r.levelname} {r.name}: {r.getMessage()}" for r in caplog.records]


def test_a_sync_logs_one_line_with_its_outcome_and_none_per_request(
    fake_gitlab, make_source, caplog
):
    fake_gitlab.add_issues(PROJECT, 7)  # three pages of three
    source = make_source(fake_gitlab, PROJECT, name="tracker")
    caplog.set_level(logging.INFO)

    run = services.source_sync(source=source)

    assert run.requests >= 3
    assert lines(caplog) == [
        f"INFO trackers.sync.ledger: trackers: tracker: incremental sync ok in "
        f"{run.duration.total_seconds():.1f}s: 7 created, 0 updated, 0 removed, "
        f"{run.requests} requests"
    ]


def test_an_unreachable_tracker_is_one_warning_line_without_a_traceback(
    dead_url, make_source, caplog
):
    source = make_source(dead_url, PROJECT, name="offline", kind="gitlab")
    caplog.set_level(logging.INFO)

    with pytest.raises(TrackerUnavailable):
        services.source_sync(source=source)

    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith("trackers: offline: incremental sync failed after")
    assert "TrackerUnavailable" in record.getMessage()
    assert record.exc_info is None
