"""A Redis cache that degrades to misses when Redis is unreachable, so pages keep answering.

The cache only holds what can be recomputed (registry tokens, throttle counters, pauses), so
while Redis is down every read is a miss, every write is dropped and a counter starts afresh
(a rate limit is lifted rather than the page failing). The outage is logged at most once a
minute per process, and `/readyz` names it.
"""

from __future__ import annotations

import fcntl
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from django.core.cache import caches
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
T = TypeVar("T")
_WARN_EVERY = 60.0
_warned_at = float("-inf")


def _degrade(call: Callable[[], T], fallback: T) -> T:
    global _warned_at  # one clock per process
    try:
        return call()
    except (RedisConnectionError, RedisTimeoutError) as exc:
        now = time.monotonic()
        if now - _warned_at >= _WARN_EVERY:
            _warned_at = now
            logger.warning("cache: Redis unreachable, serving without it: %s", exc)
        return fallback


class _ResilientClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # Django builds a new redis.Redis (a dozen attributes, its own response callbacks) for
        # every call; one per connection pool, shared by the threads, does the same work.
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
            client = self._clients[index] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client

    def count(self, key: Any, timeout: int) -> int:
        """Add one to the counter `key` (created expiring in `timeout` s); one round trip."""
        pipe = self.get_client(key, write=True).pipeline(transaction=False)
        pipe.set(key, 0, ex=timeout, nx=True)
        pipe.incr(key)
        return _degrade(lambda: int(pipe.execute()[1]), 1)

    def add(self, key: Any, value: Any, timeout: Any) -> bool:
        return _degrade(lambda: super(_ResilientClient, self).add(key, value, timeout), False)

    def get(self, key: Any, default: Any) -> Any:
        return _degrade(lambda: super(_ResilientClient, self).get(key, default), default)

    def set(self, key: Any, value: Any, timeout: Any) -> None:
        _degrade(lambda: super(_ResilientClient, self).set(key, value, timeout), None)

    def touch(self, key: Any, timeout: Any) -> bool:
        return _degrade(lambda: super(_ResilientClient, self).touch(key, timeout), False)

    def delete(self, key: Any) -> bool:
        return _degrade(lambda: super(_ResilientClient, self).delete(key), False)

    def get_many(self, keys: Any) -> dict[Any, Any]:
        return _degrade(lambda: super(_ResilientClient, self).get_many(keys), {})

    def has_key(self, key: Any) -> bool:
        return _degrade(lambda: super(_ResilientClient, self).has_key(key), False)

    def incr(self, key: Any, delta: int) -> int:
        return _degrade(lambda: super(_ResilientClient, self).incr(key, delta), delta)

    def set_many(self, data: Any, timeout: Any) -> None:
        _degrade(lambda: super(_ResilientClient, self).set_many(data, timeout), None)

    def delete_many(self, keys: Any) -> None:
        _degrade(lambda: super(_ResilientClient, self).delete_many(keys), None)

    def clear(self) -> bool:
        return _degrade(lambda: super(_ResilientClient, self).clear(), False)


class ResilientRedisCache(RedisCache):
    """Django's Redis cache, answering misses instead of errors while Redis is down."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _ResilientClient

    def count(self, key: str, timeout: int) -> int:
        client: _ResilientClient = self._cache  # type: ignore[assignment]
        return client.count(self.make_and_validate_key(key), timeout)


def count(key: str, *, timeout: int) -> int:
    """Add one to a counter in the default cache and return it; it expires `timeout` seconds
    after its first count (on the file cache: after its latest). Atomic on every backend: one
    round trip on Redis; the embedded default's files under a lock file, as its web threads,
    worker and beat share them (Django's own `incr` there is a read then a write: two requests
    at once would count one)."""
    backend = caches["default"]
    if isinstance(backend, ResilientRedisCache):
        return backend.count(key, timeout)
    if isinstance(backend, FileBasedCache):
        return _count_in_files(backend, key, timeout)
    backend.add(key, 0, timeout=timeout)  # the in-memory cache: add and incr hold its lock
    try:
        return backend.incr(key)
    except ValueError:  # expired between the two
        backend.add(key, 1, timeout=timeout)
        return 1


def _count_in_files(backend: FileBasedCache, key: str, timeout: int) -> int:
    # One lock file for every counter of the directory: a counter's own would be left behind
    # (the cache culls and clears only its .djcache files), and a count holds it for a read
    # and a write.
    directory = Path(backend._dir)  # type: ignore[attr-defined]
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(directory / "counters.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            value = int(backend.get(key, 0)) + 1
            backend.set(key, value, timeout=timeout)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return value
