import time

import pytest
from celery.contrib.testing.worker import start_worker

from fedimage.celery import app
from fedimage.core.locks import single_flight
from fedimage.initiative.models import Snapshot
from fedimage.initiative.tasks import take_snapshot


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_redis_runs_the_snapshot_task(initiative):
    """The task goes through the Redis broker to a real worker thread, not eager mode."""
    assert app.conf.broker_url.startswith("redis://")
    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
        take_snapshot.delay()
        deadline = time.monotonic() + 20
        while not Snapshot.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
    assert Snapshot.objects.count() == 1


@pytest.mark.django_db
def test_snapshot_task_does_nothing_while_another_run_holds_the_lock(initiative):
    with single_flight("initiative.take_snapshot") as held:
        assert held
        take_snapshot()
    assert Snapshot.objects.count() == 0
    take_snapshot()
    assert Snapshot.objects.count() == 1
