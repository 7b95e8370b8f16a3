"""The cache keeps pages answering while Redis is down: misses, dropped writes, fresh counters."""

from __future__ import annotations

import logging
import multiprocessing
import socket
import uuid
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest
from django.conf import settings
from django.core.cache import caches

from fedimage.core.cache import ResilientRedisCache, count


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def dead_cache() -> ResilientRedisCache:
    url = f"redis://127.0.0.1:{closed_port()}/0"
    return ResilientRedisCache(url, {"OPTIONS": {"socket_connect_timeout": 1}})


def test_with_redis_down_reads_miss_writes_are_dropped_and_counters_start_afresh(
    dead_cache, caplog
):
    with caplog.at_level(logging.WARNING, logger="fedimage.core.cache"):
        assert dead_cache.get("k", "fallback") == "fallback"
        dead_cache.set("k", "v", 30)
        assert dead_cache.add("k", "v") is False
        assert dead_cache.get_many(["a", "b"]) == {}
        assert dead_cache.incr("hits", 1) == 1
        assert dead_cache.count("hits", 60) == 1
        dead_cache.delete("k")
        assert dead_cache.has_key("k") is False
    # Once, not once per call: an outage must not flood the log.
    assert len([r for r in caplog.records if "Redis unreachable" in r.message]) <= 1


def test_with_redis_up_it_is_the_plain_redis_cache():
    cache = ResilientRedisCache(settings.REDIS_URL, {})
    key = f"tests.cache.{uuid.uuid4().hex}"
    cache.set(key, {"a": 1}, 30)
    assert cache.get(key) == {"a": 1}
    assert cache.add(key, "other") is False
    cache.delete(key)
    assert cache.get(key) is None


def test_a_counter_counts_every_increment_from_threads_at_once():
    """What the API throttles count with: atomic, so no request goes uncounted."""
    key = f"tests.count.{uuid.uuid4().hex}"
    backend = caches["default"]  # Django gives each thread its own: share one to race them
    assert count(key, timeout=30) == 1
    with ThreadPoolExecutor(8) as pool:
        counts = list(pool.map(lambda _: backend.count(key, 30), range(199)))
    assert sorted(counts) == list(range(2, 201))
    assert 0 < backend._cache.get_client(write=True).ttl(backend.make_key(key)) <= 30


def _count_hits(_: int) -> int:
    return count("hits", timeout=30)


@pytest.mark.parametrize("executor", [ThreadPoolExecutor, ProcessPoolExecutor])
def test_a_counter_on_the_file_cache_counts_every_increment_at_once(tmp_path, settings, executor):
    """The embedded default (no REDIS_URL): runserver's threads, and the worker and beat
    processes, count in the same files; none of their increments is lost."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path),
        }
    }
    kwargs = (
        {"mp_context": multiprocessing.get_context("fork")}
        if executor is ProcessPoolExecutor
        else {}
    )
    with executor(8, **kwargs) as pool:
        counts = list(pool.map(_count_hits, range(120)))
    assert sorted(counts) == list(range(1, 121))
    assert caches["default"].get("hits") == 120
