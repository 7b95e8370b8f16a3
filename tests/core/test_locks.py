"""Job locks: one holder at a time, alive exactly as long as their holder, fenced when lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.test import override_settings

from fedimage.core.locks import KEY_PREFIX, LockLost, semaphore, single_flight
from tests.worker import wait_for

ROOT = Path(__file__).resolve().parents[2]

HOLDER = """
import sys, time, django
django.setup()
from fedimage.core.locks import single_flight
with single_flight(sys.argv[1], ttl=float(sys.argv[2])) as lease:
    print("held" if lease else "busy", flush=True)
    time.sleep(600)
"""


def unique(name: str) -> str:
    return f"tests.{name}.{uuid.uuid4().hex[:8]}"


@contextmanager
def holder(name: str, ttl: float, **env: str) -> Iterator[subprocess.Popen]:
    """A process that takes the lock and keeps it until killed."""
    with subprocess.Popen(
        [sys.executable, "-c", HOLDER, name, str(ttl)],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", **env},
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "held"
            yield proc
        finally:
            proc.kill()
            proc.wait(timeout=10)


def kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)


def test_redis_lock_admits_one_holder_at_a_time():
    name = unique("one")
    with single_flight(name) as first, single_flight(name) as second:
        assert (bool(first), bool(second)) == (True, False)
        assert 1 <= second.retry_after <= settings.LOCK_TTL_SECONDS
    with single_flight(name) as again:
        assert again


def test_file_lock_admits_one_holder_at_a_time(tmp_path):
    with override_settings(REDIS_URL="", VAR_DIR=tmp_path):
        with single_flight("tests.lock") as first, single_flight("tests.lock") as second:
            assert (bool(first), bool(second)) == (True, False)
            assert second.retry_after > 0
        with single_flight("tests.lock") as again:
            assert again


def test_a_live_holder_keeps_its_lock_well_past_the_ttl():
    """The heartbeat renews the lease: work longer than the TTL is never overlapped."""
    name = unique("long")
    with single_flight(name, ttl=1) as lease:
        deadline = time.monotonic() + 3.5
        while time.monotonic() < deadline:
            with single_flight(name, ttl=1) as other:
                assert not other
            time.sleep(0.25)
        assert not lease.lost
        lease.check()


def test_a_killed_holders_lock_lapses_within_the_ttl():
    """SIGKILL stops the heartbeat with its process; the next run waits seconds, not minutes."""
    name = unique("killed")
    with holder(name, ttl=2) as proc:
        with single_flight(name, ttl=2) as busy:
            assert not busy
        kill(proc)

        def free() -> bool:
            with single_flight(name, ttl=2) as lease:
                return bool(lease)

        assert wait_for(free, timeout=10)


def test_a_killed_holders_file_lock_frees_at_once(tmp_path):
    name = unique("killed-file")
    with (
        holder(name, ttl=30, REDIS_URL="", FEDIMAGE_VAR_DIR=str(tmp_path)) as proc,
        override_settings(REDIS_URL="", VAR_DIR=tmp_path),
    ):
        with single_flight(name) as busy:
            assert not busy
        kill(proc)
        with single_flight(name) as lease:
            assert lease


def test_a_lease_taken_over_by_another_holder_is_lost_and_fenced():
    """When the key lapses and someone else takes it, the old holder learns it and stops."""
    name = unique("fenced")
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        with single_flight(name, ttl=1) as lease:
            # What a long stall of the holder looks like from Redis: its key gone, retaken.
            client.set(KEY_PREFIX + name, "someone-else", px=60_000)
            assert wait_for(lambda: lease.lost, timeout=10)
            with pytest.raises(LockLost):
                lease.check()
        # The old holder did not release the new holder's lock.
        assert client.get(KEY_PREFIX + name) == b"someone-else"
    finally:
        client.delete(KEY_PREFIX + name)
        client.close()


def test_semaphore_admits_limit_holders_and_says_when_a_slot_frees():
    name = unique("slots")
    with (
        semaphore(name, limit=2) as first,
        semaphore(name, limit=2) as second,
        semaphore(name, limit=2) as third,
    ):
        assert (bool(first), bool(second), bool(third)) == (True, True, False)
        assert 1 <= third.retry_after <= settings.LOCK_TTL_SECONDS
    with semaphore(name, limit=2) as again:
        assert again


def test_a_killed_holders_semaphore_slot_lapses_within_the_ttl():
    """A killed image poll must not keep its registry's polling slot for minutes."""
    name = unique("slot-killed")
    with holder(f"{name}#0", ttl=2) as proc:
        with semaphore(name, limit=1, ttl=2) as busy:
            assert not busy
        kill(proc)

        def free() -> bool:
            with semaphore(name, limit=1, ttl=2) as lease:
                return bool(lease)

        assert wait_for(free, timeout=10)
