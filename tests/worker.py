"""A real Celery worker on the Redis broker, for tests that follow a task end to end."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from celery.contrib.testing.worker import start_worker
from kombu import Exchange, Queue

from fedimage.celery import app


@contextmanager
def redis_worker() -> Iterator[None]:
    """Run a solo worker thread that consumes a queue of its own, which `.delay()` targets.

    The Redis database is shared with every other test run on the machine: a queue of its own
    keeps another run's worker from taking this test's messages (and this worker from theirs).
    """
    assert app.conf.broker_url.startswith("redis://")
    queue = f"tests-{uuid.uuid4().hex}"
    queues = app.amqp.queues
    # The worker narrows the app's queue selection in place: put it back afterwards.
    saved_default, saved_selection = app.conf.task_default_queue, queues._consume_from
    app.conf.task_default_queue = queue
    try:
        with start_worker(
            app, pool="solo", perform_ping_check=False, loglevel="WARNING", queues=[queue]
        ):
            yield
    finally:
        app.conf.task_default_queue = saved_default
        queues._consume_from = saved_selection
        # Declared again so this channel knows its bindings, then deleted with them.
        with app.connection_for_write() as connection:
            bound = Queue(queue, Exchange(queue), routing_key=queue)(connection.default_channel)
            bound.declare()
            bound.delete()


def wait_for(condition: Callable[[], bool], *, timeout: float = 30.0) -> bool:
    """Poll `condition` until it holds or `timeout` seconds pass; return its last value."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return condition()
        time.sleep(0.2)
    return True
