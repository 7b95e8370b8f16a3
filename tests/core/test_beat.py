"""Every beat entry can really be sent and consumed; some are sent the moment beat starts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery.beat import Scheduler as PlainScheduler
from celery.signals import task_postrun
from django.conf import settings

from fedimage.celery import app
from fedimage.core.beat import Scheduler
from tests.worker import redis_worker, wait_for


@pytest.mark.django_db(transaction=True)
def test_every_beat_entry_is_sent_with_its_options_and_consumed_by_a_real_worker():
    """Beat's own sending path (entry options included) through Redis to a worker thread.

    A misconfigured entry (a soft time limit above the hard one, an unknown task, a bad
    argument) fails here, not silently in beat's log.
    """
    outcomes: dict[str, str] = {}

    def record(sender=None, task_id=None, state=None, **kwargs) -> None:
        outcomes[task_id] = state

    scheduler = PlainScheduler(app)
    entries = dict(scheduler.schedule)
    assert set(entries) == set(settings.CELERY_BEAT_SCHEDULE)

    task_postrun.connect(record, weak=False)
    try:
        with redis_worker():
            sent = {
                name: scheduler.apply_async(entry, producer=scheduler.producer).id
                for name, entry in entries.items()
            }
            wait_for(lambda: set(sent.values()) <= set(outcomes), timeout=60)
    finally:
        task_postrun.disconnect(record)
        scheduler.close()

    assert {name: outcomes.get(task_id) for name, task_id in sent.items()} == dict.fromkeys(
        entries, "SUCCESS"
    )


def test_first_sync_and_poll_are_due_the_moment_beat_starts(tmp_path):
    scheduler = Scheduler(app, schedule_filename=str(tmp_path / "schedule"))
    try:
        due = {name for name, entry in scheduler.schedule.items() if entry.is_due().is_due}
    finally:
        scheduler.close()

    assert due == set(settings.CELERY_BEAT_RUN_AT_START)
    assert {"trackers-sync-all", "health-poll-all", "notifications-redeliver-pending"} <= due
    assert "trackers-reconcile-all" not in due


def test_entries_run_at_start_are_due_again_after_a_restart(tmp_path):
    """A restarted beat (its schedule file remembering the last runs) still starts with them."""
    path = str(tmp_path / "schedule")
    first = Scheduler(app, schedule_filename=path)
    for entry in first.schedule.values():
        entry.last_run_at = entry.default_now() - timedelta(seconds=1)
    first.sync()
    first.close()

    again = Scheduler(app, schedule_filename=path)
    try:
        due = {name for name, entry in again.schedule.items() if entry.is_due().is_due}
    finally:
        again.close()
    assert due == set(settings.CELERY_BEAT_RUN_AT_START)
