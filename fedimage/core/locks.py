"""Locks that keep two runs of the same job from overlapping, across processes and machines.

With Redis (`REDIS_URL`) a lock is a Redis key with a short expiry (`LOCK_TTL_SECONDS`, 30 s)
that a heartbeat thread of its holder keeps extending. So a lock lives exactly as long as its
holder does: however long the work takes, the heartbeat keeps it; when the holder dies (a worker
killed with SIGKILL, a pool child taken by the OOM killer, a hard time limit), the heartbeat dies
with it and the lock lapses within the TTL, so the next run waits seconds, not the length of the
longest possible job.

A holder whose heartbeat could not extend its lease in time (Redis unreachable for longer than
the TTL) has lost it: `Lease.lost` turns true and `Lease.check()` raises `LockLost`, so long work
can stop at its next safe point rather than overlap a newer holder (fencing).

Without Redis (the embedded development setup) a lock is an flock on a file in the var folder,
which the kernel releases the moment its process dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import redis
from django.conf import settings
from redis.exceptions import LockError, RedisError

logger = logging.getLogger(__name__)

KEY_PREFIX = "fedimage:lock:"
# Without Redis nobody knows when a file lock frees; this is the wait suggested meanwhile.
FILE_LOCK_RETRY_AFTER = 5.0


class LockLost(Exception):
    """The lease lapsed while its holder was still working: another run may hold it now."""


class Lease:
    """The outcome of taking a lock: true while held; when not held, how long to wait."""

    def __init__(self, name: str, *, held: bool, retry_after: float = 0.0) -> None:
        self.name = name
        self.held = held
        # When not held: seconds until the current holder's lease lapses if it stops renewing.
        self.retry_after = retry_after
        self._heartbeat: _Heartbeat | None = None

    def __bool__(self) -> bool:
        return self.held

    def __repr__(self) -> str:
        return f"<Lease {self.name} held={self.held} lost={self.lost}>"

    @property
    def lost(self) -> bool:
        return self._heartbeat is not None and self._heartbeat.lost

    def check(self) -> None:
        """Raise LockLost if the lease lapsed: stop before doing more work under it."""
        if self.lost:
            raise LockLost(f"the lock {self.name!r} lapsed while its holder was working")


def lock_ttl() -> float:
    return float(getattr(settings, "LOCK_TTL_SECONDS", 30.0))


@contextmanager
def single_flight(name: str, *, ttl: float | None = None) -> Iterator[Lease]:
    """Yield a Lease, held if this process took the lock `name`, not held if another did.

    ```
    with single_flight(f"trackers.source.{pk}") as lease:
        if not lease:
            raise SyncInProgress(retry_after=lease.retry_after)
        ...
    ```
    """
    ttl = ttl or lock_ttl()
    if settings.REDIS_URL:
        with _redis_lock(name, ttl=ttl) as lease:
            yield lease
        return
    with _file_lock(name) as lease:
        yield lease


@contextmanager
def semaphore(name: str, *, limit: int, ttl: float | None = None) -> Iterator[Lease]:
    """Yield a held Lease on one of `limit` slots named `name`, or a lease not held if all are.

    Each slot is a lock of its own, so a dead holder's slot frees as any lock does.
    """
    ttl = ttl or lock_ttl()
    waits: list[float] = []
    for slot in range(max(1, limit)):
        slot_name = f"{name}#{slot}"
        locker = _redis_lock(slot_name, ttl=ttl) if settings.REDIS_URL else _file_lock(slot_name)
        with locker as lease:
            if lease:
                yield lease
                return
            waits.append(lease.retry_after)
    yield Lease(name, held=False, retry_after=min(waits))


# Redis ------------------------------------------------------------------------------------------

_clients: dict[str, redis.Redis] = {}
_clients_guard = threading.Lock()


def _client() -> redis.Redis:
    url = settings.REDIS_URL
    with _clients_guard:
        client = _clients.get(url)
        if client is None:
            # Short socket timeouts: a heartbeat must notice an unreachable Redis, not hang on it.
            client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
            _clients[url] = client
        return client


class _Heartbeat(threading.Thread):
    """Extend a Redis lock every third of its TTL until stopped; note when it was lost."""

    def __init__(self, lock: redis.lock.Lock, *, ttl: float, name: str) -> None:
        super().__init__(name=f"lock-heartbeat:{name}", daemon=True)
        self._lock = lock
        self._ttl = ttl
        self._stopped = threading.Event()
        self.lost = False

    def run(self) -> None:
        renewed = time.monotonic()
        while not self._stopped.wait(self._ttl / 3):
            try:
                self._lock.extend(self._ttl, replace_ttl=True)
                renewed = time.monotonic()
            except LockError:
                # Expired and maybe taken by another run: ours no more.
                self._lose("it expired before it could be extended")
                return
            except RedisError as exc:
                if time.monotonic() - renewed >= self._ttl:
                    self._lose(f"Redis did not answer for {self._ttl:.0f} s ({exc})")
                    return

    def _lose(self, why: str) -> None:
        self.lost = True
        logger.warning("lock %s lost: %s", self.name.removeprefix("lock-heartbeat:"), why)

    def stop(self) -> None:
        self._stopped.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout=self._ttl)


@contextmanager
def _redis_lock(name: str, *, ttl: float) -> Iterator[Lease]:
    client = _client()
    key = KEY_PREFIX + name
    # thread_local=False: the heartbeat thread must see the token the holder acquired with.
    lock = client.lock(key, timeout=ttl, blocking=False, thread_local=False)
    if not lock.acquire():
        remaining = client.pttl(key)
        wait = ttl if remaining == -1 else max(remaining, 0) / 1000
        yield Lease(name, held=False, retry_after=max(1.0, wait))
        return
    lease = Lease(name, held=True)
    heartbeat = lease._heartbeat = _Heartbeat(lock, ttl=ttl, name=name)
    heartbeat.start()
    try:
        yield lease
    finally:
        heartbeat.stop()
        if not heartbeat.lost:
            # Lapsed, retaken or unreachable: the key expires on its own either way.
            with contextlib.suppress(LockError, RedisError):
                lock.release()


# Files (no Redis) -------------------------------------------------------------------------------


@contextmanager
def _file_lock(name: str) -> Iterator[Lease]:
    folder = Path(settings.VAR_DIR) / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (hashlib.sha256(name.encode()).hexdigest()[:32] + ".lock")
    handle: IO[str]
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield Lease(name, held=False, retry_after=FILE_LOCK_RETRY_AFTER)
            return
        try:
            yield Lease(name, held=True)
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
