"""A Redis cache that degrades to misses when Redis is unreachable, so pages keep answering.

The cache only holds what can be recomputed (registry tokens, throttle counters, pauses), so
while Redis is down every read is a miss, every write is dropped and a counter starts afresh
(a rate limit is lifted rather than the page failing). The outage is logged at most once a
minute per process, and `/readyz` names it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

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
