"""Locks that keep two runs of the same job from overlapping, across processes.

With Redis configured the lock is a Redis key with an expiry (SET NX PX), so a crashed
worker's lock lapses on its own. Without Redis (the embedded development setup) it is an
flock on a file in the var folder, which the kernel releases when the process dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings


@contextmanager
def single_flight(name: str, *, timeout: float) -> Iterator[bool]:
    """Yield True if this process holds the lock named `name`, False if another run does."""
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        lock = client.lock(f"fedimage:lock:{name}", timeout=timeout, blocking=False)
        acquired = lock.acquire()
        try:
            yield acquired
        finally:
            if acquired:
                # A lock that expired (and maybe was retaken) is not ours to release any more.
                with contextlib.suppress(redis.exceptions.LockNotOwnedError):
                    lock.release()
            client.close()
        return
    folder = Path(settings.VAR_DIR) / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (hashlib.sha256(name.encode()).hexdigest()[:32] + ".lock")
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
