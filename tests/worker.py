"""A real Celery worker on the Redis broker, for tests that follow a task end to end."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from fedimage.celery import app


def purge_broker() -> None:
    """Empty every queue, and forget messages a killed earlier run left unacknowledged.

    Each engineer's and CI's test run has a Redis database of its own (REDIS_URL), and tests
    run one at a time, so nothing else is using these keys.
    """
    with app.connection_for_write() as connection:
        for queue in app.conf.task_queues:
            queue(connection.default_channel).purge()
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    try:
        client.delete("unacked", "unacked_index", "unacked_mutex")
    finally:
        client.close()


@contextmanager
def redis_worker() -> Iterator[None]:
    """Run a solo worker thread consuming every queue (`task_queues`), on an empty broker."""
    assert app.conf.broker_url.startswith("redis://")
    purge_broker()
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        yield


def wait_for(condition: Callable[[], bool], *, timeout: float = 30.0) -> bool:
    """Poll `condition` until it holds or `timeout` seconds pass; return its last value."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return condition()
        time.sleep(0.2)
    return True
