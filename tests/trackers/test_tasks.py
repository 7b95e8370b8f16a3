"""Celery tasks: fan-out, retry policy, idempotence."""

import heapq
from datetime import timedelta

import celery.app.task
import pytest
from celery.exceptions import Retry
from django.conf import settings
from django.utils import timezone

from tests.trackers.conftest import later
from tests.trackers.fakes import Fault
from trackers import tasks
from trackers.clients.base import TrackerGarbage, TrackerUnavailable
from trackers.models import SyncRun, TrackedIssue

REPO = "bootc-dev/bootc"


@pytest.fixture
def retries(monkeypatch):
    """Capture Task.retry calls (what a worker would schedule) instead of sending them."""
    calls = []

    def fake_retry(
        self,
        args=None,
        kwargs=None,
        exc=None,
        throw=True,
        eta=None,
        countdown=None,
        max_retries=None,
        **options,
    ):
        calls.append({"exc": exc, "countdown": countdown})
        raise Retry(exc=exc, when=countdown)

    monkeypatch.setattr(celery.app.task.Task, "retry", fake_retry)
    return calls


def test_beat_schedules_the_sync_the_reconcile_sweep_and_the_ledger_retention():
    entries = {
        e["task"]: e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"].startswith("trackers.")
    }
    assert set(entries) == {"trackers.sync_all", "trackers.prune_ledger"}
    assert entries["trackers.prune_ledger"]["schedule"] == 24 * 3600
    sweeps = [
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e.get("kwargs") == {"full": True}
    ]
    assert sweeps[0]["task"] == "trackers.sync_all"


def test_sync_all_fans_out_one_task_per_due_source_after_commit(
    make_source, fake_github, monkeypatch, django_capture_on_commit_callbacks
):
    due = make_source(fake_github, REPO)
    make_source(fake_github, "a/disabled", enabled=False)
    make_source(fake_github, "a/paused", paused_until=timezone.now() + timezone.timedelta(hours=1))
    sent = []
    monkeypatch.setattr(tasks.sync_source, "delay", lambda *a, **k: sent.append((a, k)))

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.sync_all(full=True) == 1

    assert sent == [((due.pk,), {"full": True, "trigger": "beat"})]


def test_rate_limited_sync_is_retried_after_the_wait_the_tracker_asked_for(
    make_source, fake_github, retries
):
    fake_github.add_issues(REPO, 2)
    source = make_source(fake_github, REPO)
    fake_github.fail_next(Fault.rate_limited(retry_after=120))

    with pytest.raises(Retry):
        tasks.sync_source(source.pk)

    assert retries[0]["countdown"] == 120


def test_unreachable_tracker_is_retried_with_backoff(make_source, dead_url, retries):
    source = make_source(dead_url, "a/b", kind="github")
    with pytest.raises(Retry):
        tasks.sync_source(source.pk)
    assert 0 <= retries[0]["countdown"] <= 30


def test_garbage_fails_the_task_without_retrying(make_source, fake_github, retries):
    fake_github.add_issues(REPO, 1)
    source = make_source(fake_github, REPO)
    fake_github.fail_next(Fault.html_page())
    with pytest.raises(TrackerGarbage):
        tasks.sync_source(source.pk)
    assert retries == []


def test_task_for_a_source_that_is_gone_returns_quietly(db):
    assert tasks.sync_source(999_999) is None
    assert tasks.sync_issue(999_999, REPO, 1) is None


def test_running_the_same_sync_twice_is_idempotent(make_source, fake_github):
    fake_github.add_issues(REPO, 4)
    source = make_source(fake_github, REPO)
    tasks.sync_source(source.pk, full=True)
    tasks.sync_source(source.pk, full=True)
    assert TrackedIssue.objects.filter(source=source).count() == 4


def test_a_short_rate_limit_never_reaches_the_retry_layer(make_source, fake_github, retries):
    fake_github.add_issues(REPO, 2)
    source = make_source(fake_github, REPO)
    fake_github.fail_next(Fault.rate_limited(retry_after=1))

    tasks.sync_source(source.pk)

    assert retries == []
    assert TrackedIssue.objects.filter(source=source).count() == 2


def test_a_sync_now_task_runs_in_the_queued_row(make_source, fake_github, lead):
    from trackers import services

    fake_github.add_issues(REPO, 2)
    source = make_source(fake_github, REPO)
    queued = services.sync_now(source=source, requested_by="leader").run

    tasks.sync_source(source.pk, trigger=queued.trigger, run_id=queued.pk)

    queued.refresh_from_db()
    assert (queued.status, queued.created, queued.trigger) == ("ok", 2, "sync now by leader")
    assert SyncRun.objects.filter(source=source).count() == 1


def test_the_retention_task_sums_old_runs(make_source, fake_github):
    from tests.trackers.factories import runs_for

    source = make_source(fake_github, REPO)
    runs_for(source, 3, created=0, started_at=timezone.now() - timezone.timedelta(days=10))

    assert tasks.prune_ledger() == 3
    assert tasks.prune_ledger() == 0


# A down tracker: a short retry chain on the first failure only, then beat's backoff.

INTERVAL = timedelta(seconds=settings.TRACKERS_SYNC_INTERVAL_SECONDS)


def attempt(source_id: int, *, retries: int = 0, **kwargs) -> None:
    """Run sync_source as the worker runs its attempt number `retries` + 1 of a chain."""
    tasks.sync_source.push_request(retries=retries)
    try:
        tasks.sync_source.run(source_id, **kwargs)
    finally:
        tasks.sync_source.pop_request()


def test_only_a_first_failure_gets_a_short_retry_chain(make_source, fake_github, retries):
    source = make_source(fake_github, REPO)
    fake_github.fail_next(Fault.server_error(503), times=100)

    for n in range(tasks.BLIP_RETRIES):
        with pytest.raises(Retry):
            attempt(source.pk, retries=n)
    with pytest.raises(tasks.StillUnavailable):
        attempt(source.pk, retries=tasks.BLIP_RETRIES)
    # The next beat's task finds the source failing: one attempt, no chain.
    with pytest.raises(tasks.StillUnavailable):
        attempt(source.pk, trigger="beat")

    assert len(retries) == tasks.BLIP_RETRIES
    assert [r["countdown"] <= 30 * 2**n for n, r in enumerate(retries)] == [True] * 3
    assert len(fake_github.requests) == tasks.BLIP_RETRIES + 2


def test_a_down_tracker_is_asked_a_bounded_number_of_times_and_chains_never_overlap(
    make_source, fake_github, retries, monkeypatch, django_capture_on_commit_callbacks
):
    """Three hours of beats and the retries they lead to, in simulated time: the first
    failure's chain (4 attempts within 3.5 minutes), then the backoff (5, 10, 20, 40 minutes,
    then hourly); no beat sends the source while a retry of it is pending. Before, each beat
    sent a chain of 6 attempts: 8 to 15 requests every 10 minutes."""
    source = make_source(fake_github, REPO)
    fake_github.fail_next(Fault.server_error(503), times=1000)
    sent = []
    monkeypatch.setattr(tasks.sync_source, "delay", lambda *a, **k: sent.append(a))
    events = [(beat * INTERVAL.total_seconds(), "beat", 0) for beat in range(36)]
    clock, asked = 0.0, []

    while events:
        at, what, n = heapq.heappop(events)
        later(source, timedelta(seconds=at - clock))
        clock = at
        if what == "beat":
            with django_capture_on_commit_callbacks(execute=True):
                tasks.sync_all()
            if not sent:
                continue
            assert not [e for e in events if e[1] == "retry"], "a chain is under way"
            sent.clear()
        asked.append(at)
        try:
            attempt(source.pk, retries=n, trigger=what)
        except Retry:
            heapq.heappush(events, (at + retries[-1]["countdown"], "retry", n + 1))
        except tasks.StillUnavailable:
            pass

    assert len(fake_github.requests) == len(asked) == SyncRun.objects.count()
    assert asked[: tasks.BLIP_RETRIES + 1][-1] <= 210
    assert len([t for t in asked if t < 600]) <= 6
    assert len(asked) <= 10
    assert len([t for t in asked if t >= 3600]) == 2  # hourly


def test_sync_now_runs_at_once_on_a_backing_off_source_and_its_success_clears_it(
    make_source, fake_github, lead, monkeypatch, django_capture_on_commit_callbacks
):
    from trackers import services

    fake_github.add_issues(REPO, 2)
    source = make_source(fake_github, REPO)
    fake_github.fail_next(Fault.server_error(503), times=2)
    for wait in (INTERVAL, timedelta(0)):
        with pytest.raises(TrackerUnavailable):
            services.source_sync(source=source, trigger="beat")
        later(source, wait)
    sent = []
    monkeypatch.setattr(tasks.sync_source, "delay", lambda *a, **k: sent.append(a))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.sync_all() == 0  # backing off: 5 minutes of its 10 are left

    queued = services.sync_now(source=source, requested_by="leader").run
    attempt(source.pk, trigger=queued.trigger, run_id=queued.pk)

    queued.refresh_from_db()
    source.refresh_from_db()
    assert (queued.status, queued.created) == ("ok", 2)
    assert (source.is_failing, source.backoff_until) == (False, None)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.sync_all() == 1
