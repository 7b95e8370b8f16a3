"""Worker-side pieces of the Celery setup: keeping held messages visible to their holder.

With the Redis transport a message a worker has taken but not yet acknowledged (a task running
under `acks_late`, or waiting for its countdown) sits in the `unacked` hash, stamped with the
time it was taken. Any worker puts it back on its queue once the stamp is older than the
broker's `visibility_timeout`. Kept long (hours), a killed worker's task waits that long; kept
short, a long task or countdown would be handed to a second worker while the first still has it.

So the visibility timeout is short (minutes) and every live worker re-stamps the messages it
holds, every quarter of it: a message stays put exactly as long as the worker holding it is
alive, and a SIGKILLed worker's messages go back on their queue within the timeout.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import redis
from celery import bootsteps

logger = logging.getLogger(__name__)


class KeepHeldMessagesVisible(bootsteps.StartStopStep):
    """Re-stamp this worker's unacknowledged messages so no other worker takes them."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self._stopped: threading.Event | None = None

    def start(self, c: Any) -> None:
        channel = c.task_consumer.channel
        qos: Any = getattr(channel, "qos", None)
        index_key = getattr(qos, "unacked_index_key", None)
        if index_key is None or not hasattr(qos, "_delivered"):
            return  # not the Redis transport: nothing is restored by age
        interval = max(1.0, float(channel.visibility_timeout) / 4)
        client = redis.Redis(connection_pool=channel.pool)
        stopped = self._stopped = threading.Event()

        def restamp() -> None:
            while not stopped.wait(interval):
                # A copy: the consumer thread adds and removes deliveries meanwhile.
                tags = list(qos._delivered.copy())
                if not tags:
                    continue
                now = time.time()
                try:
                    # XX: only tags still unacknowledged; an acked one must not come back.
                    client.zadd(index_key, dict.fromkeys(tags, now), xx=True)
                except redis.RedisError as exc:
                    logger.warning("could not re-stamp %d held message(s): %s", len(tags), exc)

        threading.Thread(target=restamp, name="keep-held-messages-visible", daemon=True).start()

    def stop(self, c: Any) -> None:
        if self._stopped is not None:
            self._stopped.set()
            self._stopped = None

    shutdown = stop
