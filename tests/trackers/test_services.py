"""The public services of the trackers app: what is due, "Sync now", the ledger's retention."""

import contextlib
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from tests.trackers.conftest import later
from tests.trackers.factories import SyncRunFactory, runs_for
from tests.trackers.fakes import Fault
from trackers import services
from trackers.clients.base import TrackerUnavailable
from trackers.models import (
    RunKind,
    RunStatus,
    SyncRun,
    SyncRunDay,
    TrackedIssue,
    WebhookDelivery,
)

REPO = "bootc-dev/bootc"

DAY = timedelta(days=1)


def test_paused_and_disabled_sources_are_not_due(sources):
    gitlab, github = sources
    github.paused_until = timezone.now() + timedelta(minutes=5)
    github.save()
    later = timezone.now() + timedelta(minutes=6)

    assert list(services.sources_due()) == [gitlab]
    assert set(services.sources_due(now=later)) == {gitlab, github}


def test_sync_now_queues_one_run_and_shows_it_as_the_sources_latest(sources):
    asked = services.sync_now(source=sources[1], requested_by="leader")
    again = services.sync_now(source=sources[1], requested_by="someone-else")

    assert asked.queued
    assert (again.queued, again.run) == (False, asked.run)
    sources[1].refresh_from_db()
    assert sources[1].last_run == asked.run
    assert SyncRun.objects.get().status == RunStatus.QUEUED


def test_a_queued_run_whose_task_was_lost_is_closed_after_a_while(sources):
    lost = SyncRunFactory(
        source=sources[1],
        status=RunStatus.QUEUED,
        started_at=timezone.now() - timedelta(hours=4),
        finished_at=None,
    )

    asked = services.sync_now(source=sources[1], requested_by="leader")

    lost.refresh_from_db()
    assert lost.status == RunStatus.INTERRUPTED
    assert "never started" in lost.error
    assert asked.queued


# retention


def test_retention_keeps_recent_runs_failures_and_changes_and_sums_the_rest(sources):
    now = timezone.now()
    github = sources[1]
    runs_for(github, 3, created=0, started_at=now - 2 * DAY)  # recent: kept
    runs_for(github, 4, created=0, requests=2, started_at=now - 10 * DAY)  # quiet: summed
    runs_for(github, 2, created=5, started_at=now - 10 * DAY)  # changed something: kept
    runs_for(github, 1, status=RunStatus.FAILED, created=0, started_at=now - 30 * DAY)  # kept
    runs_for(github, 2, created=3, requests=9, started_at=now - 100 * DAY)  # old: summed
    runs_for(
        github, 1, status=RunStatus.FAILED, created=0, kind=RunKind.ISSUE,
        started_at=now - 100 * DAY,
    )  # fmt: skip

    pruned = services.ledger_prune(now=now)

    assert (pruned.runs, pruned.days) == (7, 3)
    assert SyncRun.objects.count() == 6
    days = {
        (d.day, d.kind): (d.runs, d.failed, d.created, d.requests) for d in SyncRunDay.objects.all()
    }
    assert days == {
        ((now - 10 * DAY).date(), "incremental"): (4, 0, 0, 8),
        ((now - 100 * DAY).date(), "incremental"): (2, 0, 6, 18),
        ((now - 100 * DAY).date(), "issue"): (1, 1, 0, 2),
    }


def test_retention_is_idempotent_and_adds_to_a_day_already_summed(sources):
    now = timezone.now()
    runs_for(sources[1], 2, created=0, started_at=now - 10 * DAY)
    services.ledger_prune(now=now)

    again = services.ledger_prune(now=now)
    runs_for(sources[1], 3, created=0, started_at=now - 10 * DAY)
    services.ledger_prune(now=now)

    assert (again.runs, again.days) == (0, 0)
    assert SyncRunDay.objects.get().runs == 5
    assert not SyncRun.objects.exists()


def test_retention_forgets_old_deliveries_and_old_daily_sums(sources):
    now = timezone.now()
    WebhookDelivery.objects.create(kind="github", delivery_id="old", received_at=now - 31 * DAY)
    WebhookDelivery.objects.create(kind="github", delivery_id="new", received_at=now - DAY)
    SyncRunDay.objects.create(source=sources[1], day=(now - 800 * DAY).date(), kind="full")

    pruned = services.ledger_prune(now=now)

    assert pruned.deliveries == 1
    assert list(WebhookDelivery.objects.values_list("delivery_id", flat=True)) == ["new"]
    assert not SyncRunDay.objects.exists()


def test_retention_leaves_runs_under_way_alone(sources):
    now = timezone.now()
    SyncRunFactory(
        source=sources[1], status=RunStatus.RUNNING, started_at=now - 100 * DAY, finished_at=None
    )

    assert services.ledger_prune(now=now).runs == 0
    assert SyncRun.objects.count() == 1


# A down tracker: asked less and less often, back to the sync interval after a success.

INTERVAL = timedelta(seconds=settings.TRACKERS_SYNC_INTERVAL_SECONDS)


def beats_asking(source, beats: int) -> list[int]:
    """Run `beats` sync intervals: at each, the source is synced if due. The beats (counted
    from 0) at which it was, so asking the tracker."""
    asked = []
    for beat in range(beats):
        if services.sources_due().filter(pk=source.pk).exists():
            asked.append(beat)
            with contextlib.suppress(TrackerUnavailable):
                services.source_sync(source=source, trigger="beat")
        later(source, INTERVAL)
    return asked


def test_a_down_tracker_is_asked_ever_less_often_then_at_every_beat_once_back(
    make_source, fake_github
):
    """Down for two hours of five-minute beats: asked after 5, 10, 20, 40 minutes, then
    hourly (the backoff is as long as it has been failing, from one interval to one hour):
    6 requests in two hours instead of one per beat; back, it is asked at every beat again."""
    fake_github.add_issues(REPO, 2)
    source = make_source(fake_github, REPO)
    fake_github.fail_next(Fault.server_error(503), times=1000)

    down = beats_asking(source, 24)

    assert down == [0, 1, 2, 4, 8, 16]
    assert len(fake_github.requests) == len(down) == SyncRun.objects.count()
    source.refresh_from_db()
    assert source.is_failing
    fake_github.clear_faults()

    back = beats_asking(source, 20)

    assert back[0] == 4  # its backoff (one hour from beat 16) runs out at beat 28
    assert back == list(range(4, 20))
    source.refresh_from_db()
    assert (source.is_failing, source.backoff_until) == (False, None)
    assert TrackedIssue.objects.filter(source=source).count() == 2


def test_sync_now_is_not_held_back_by_a_failing_sources_backoff(make_source, fake_github):
    source = make_source(fake_github, REPO)
    fake_github.fail_next(Fault.server_error(503), times=2)
    for _ in range(2):
        with contextlib.suppress(TrackerUnavailable):
            services.source_sync(source=source, trigger="beat")
    source.refresh_from_db()
    assert not services.sources_due().filter(pk=source.pk).exists()

    asked = services.sync_now(source=source, requested_by="leader")

    assert asked.queued


def test_a_source_backing_off_is_due_at_the_beat_nearest_its_backoffs_end(sources):
    gitlab, github = sources
    now = timezone.now()
    github.failing_since = now - timedelta(minutes=20)
    github.backoff_until = now + timedelta(minutes=20)
    github.save()

    assert list(services.sources_due(now=now)) == [gitlab]
    assert list(services.sources_due(now=now + timedelta(minutes=17))) == [gitlab]
    assert set(services.sources_due(now=now + timedelta(minutes=18))) == {gitlab, github}
