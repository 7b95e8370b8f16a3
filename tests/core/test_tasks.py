"""The task base class and the Celery configuration every task runs under."""

from __future__ import annotations

import pytest
from celery.app.task import Task as CeleryTask
from django.conf import settings

from fedimage.celery import app
from fedimage.core.tasks import Task, soft_limit_for
from tests.worker import redis_worker, wait_for


class Flaky(Exception):
    def __init__(self, retry_after: float | None) -> None:
        super().__init__("not yet")
        self.retry_after = retry_after


ATTEMPTS: list[int] = []


@app.task(
    name="tests.core.flaky",
    bind=True,
    autoretry_for=(Flaky,),
    retry_backoff=3600,  # a backoff this long would outlast the test: only retry_after is short
    retry_jitter=False,
    max_retries=3,
    time_limit=30,
)
def flaky(self, fail_times: int) -> str:
    ATTEMPTS.append(self.request.retries)
    if self.request.retries < fail_times:
        raise Flaky(retry_after=0.5)
    return "done"


def fedimage_tasks() -> dict[str, CeleryTask]:
    app.loader.import_default_modules()
    return {
        name: task for name, task in app.tasks.items() if not name.startswith(("celery.", "tests."))
    }


def test_a_task_giving_only_a_hard_limit_gets_a_soft_limit_below_it():
    hard_only = type("HardOnly", (Task,), {"time_limit": 60})
    assert hard_only.soft_time_limit == soft_limit_for(60) == 54
    assert soft_limit_for(900) == 870
    assert 0 < soft_limit_for(5) < 5


def test_a_soft_limit_at_or_above_the_hard_limit_fails_at_import():
    with pytest.raises(ValueError, match="soft_time_limit"):
        type("Inverted", (Task,), {"name": "x", "time_limit": 60, "soft_time_limit": 60})


def test_expected_retried_errors_are_logged_without_a_traceback_when_retries_run_out():
    assert flaky.throws == (Flaky,)


def test_every_task_is_a_fedimage_task_with_an_explicit_name_and_coherent_limits():
    tasks = fedimage_tasks()
    assert {"trackers.sync_source", "health.poll_image", "notifications.deliver"} <= set(tasks)
    for name, task in tasks.items():
        assert isinstance(task, Task), name
        # A generated name (module.function) would strand queued messages on a rename.
        assert not name.startswith(type(task).__module__ + "."), f"{name}: give it a name"
        assert task.acks_late, name
        assert task.reject_on_worker_lost, name
        assert 0 < task.soft_time_limit < task.time_limit, name


def test_every_task_is_routed_to_a_declared_queue():
    declared = {queue.name for queue in settings.CELERY_TASK_QUEUES}
    assert declared == {"default", "trackers", "health", "notifications", "bus"}
    for name in fedimage_tasks():
        routed = app.amqp.router.route({}, name)["queue"].name
        assert routed in declared, name
        prefix = name.split(".")[0]
        expected = prefix if prefix in declared else "default"
        assert routed == expected, name


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_retries_after_the_errors_retry_after_not_the_backoff():
    ATTEMPTS.clear()
    with redis_worker():
        flaky.delay(2)
        assert wait_for(lambda: len(ATTEMPTS) >= 3, timeout=30), ATTEMPTS
    assert ATTEMPTS == [0, 1, 2]
