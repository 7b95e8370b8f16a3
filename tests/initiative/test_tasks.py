import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.test import override_settings

from fedimage.celery import app
from fedimage.initiative.models import Snapshot
from fedimage.initiative.tasks import take_snapshot
from fedimage.locks import single_flight


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
    with single_flight("initiative.take_snapshot", timeout=30) as held:
        assert held
        take_snapshot()
    assert Snapshot.objects.count() == 0
    take_snapshot()
    assert Snapshot.objects.count() == 1


def test_redis_lock_admits_one_holder_at_a_time():
    with (
        single_flight("tests.lock", timeout=10) as first,
        single_flight("tests.lock", timeout=10) as second,
    ):
        assert (first, second) == (True, False)
    with single_flight("tests.lock", timeout=10) as again:
        assert again


def test_file_lock_admits_one_holder_at_a_time(tmp_path):
    with override_settings(REDIS_URL="", VAR_DIR=tmp_path):
        with (
            single_flight("tests.lock", timeout=10) as first,
            single_flight("tests.lock", timeout=10) as second,
        ):
            assert (first, second) == (True, False)
        with single_flight("tests.lock", timeout=10) as again:
            assert again
