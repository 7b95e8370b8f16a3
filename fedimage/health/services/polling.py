"""A poll of one watched image: read the registry (no transaction open), then record the meaning.

Every client of a registry in a worker process shares its keep-alive pool, which bounds the
requests in flight (`HEALTH_REQUESTS_IN_FLIGHT`). What clients learn — pull tokens per repository
scope until they expire, the registry's token realm, whether it has the referrers API, and a
pause it asked for with 429 — is kept in the shared cache, so every process reuses it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import caches
from django.utils import timezone

from fedimage.health.clients.auth import Memory
from fedimage.health.clients.registry import RegistryClient, shared_http_client
from fedimage.health.models import WatchedImage
from fedimage.health.services.reading import Reader
from fedimage.health.services.recording import TagOutcome, poll_record

DEFAULT_TIMEOUT = 15.0
# How long a registry that answered 429 without a Retry-After is left alone.
DEFAULT_PAUSE = 30.0


class PollThrottled(Exception):
    """The registry answered 429: the image's tags wait for a later poll."""

    def __init__(self, message: str, *, retry_after: float | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class PollReport:
    image: WatchedImage
    outcomes: list[TagOutcome] = field(default_factory=list)
    requests: int = 0
    throttled: PollThrottled | None = None

    @property
    def changed(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.changed or outcome.new_digest)

    @property
    def new_digests(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.new_digest)


class CacheMemory:
    """A client memory in Django's cache (Redis when configured): shared by every process.

    It holds the cache backend of the thread that made it, which the poll's reading threads
    share (a Redis client is thread-safe): Django gives each thread a backend of its own, and
    so a Redis connection of its own, which a poll's short-lived threads would open afresh.
    """

    def __init__(self) -> None:
        self._cache = caches["default"]

    def _key(self, key: str) -> str:
        return f"{settings.HEALTH_CACHE_PREFIX}:registry:{key}"

    def get(self, key: str) -> str | None:
        value = self._cache.get(self._key(key))
        return value if isinstance(value, str) else None

    def set(self, key: str, value: str, ttl: float) -> None:
        self._cache.set(self._key(key), value, timeout=max(1, int(ttl)))

    def delete(self, key: str) -> None:
        self._cache.delete(self._key(key))


def registry_client_for(image: WatchedImage, *, timeout: float = DEFAULT_TIMEOUT) -> RegistryClient:
    """Return a client of the image's registry on its shared pool, plain HTTP only if insecure."""
    scheme = "http" if image.insecure else "https"
    http = shared_http_client(
        f"{scheme}://{image.registry}",
        connections=settings.HEALTH_REQUESTS_IN_FLIGHT,
        timeout=timeout,
    )
    return RegistryClient(
        image.registry, insecure=image.insecure, http_client=http, memory=CacheMemory()
    )


def registry_paused_for(memory: Memory, registry: str) -> float:
    """Return how many seconds the registry asked to be left alone for (0: not paused)."""
    until = memory.get(f"paused:{registry}")
    try:
        return max(0.0, float(until) - time.time()) if until else 0.0
    except ValueError:
        return 0.0


def image_poll(
    *,
    image: WatchedImage,
    client: RegistryClient | None = None,
    now: datetime | None = None,
    on_heads: Callable[[int, int], None] | None = None,
) -> PollReport:
    """Poll every active tag of an image and record what it means; one bad tag never stops the rest.

    Raises nothing for registry failures: they become the tags' states, and an unexpected error
    on one tag makes that tag garbage (and is logged). A 429 stops the poll: nothing is
    recorded, the registry is left alone for its Retry-After (other images' polls included), and
    `report.throttled` says when to come back. `on_heads(tags checked, tags changed)` is called
    once every tag's digest is known, before new digests are read.
    """
    client = client or registry_client_for(image)
    start_count = client.request_count
    report = PollReport(image=image)
    paused = registry_paused_for(client.memory, image.registry)
    if paused:
        report.throttled = PollThrottled(
            f"{image.registry} is throttling requests (HTTP 429)", retry_after=paused
        )
        return report
    now = now or timezone.now()
    states = list(image.tag_states.filter(active=True).order_by("order", "tag"))
    reader = Reader(
        client=client,
        image=image,
        now=now,
        in_flight=settings.HEALTH_REQUESTS_IN_FLIGHT,
        recheck_signatures_after=timedelta(seconds=settings.HEALTH_SIGNATURE_RECHECK_SECONDS),
        on_heads=on_heads,
    )
    try:
        read = reader.read(states)
    finally:
        report.requests = client.request_count - start_count
    if read.throttled is not None:
        wait = read.throttled.retry_after
        client.memory.set(
            f"paused:{image.registry}",
            str(time.time() + (wait if wait is not None else DEFAULT_PAUSE)),
            ttl=wait if wait is not None else DEFAULT_PAUSE,
        )
        report.throttled = PollThrottled(
            f"{image.registry} is throttling requests (HTTP 429)", retry_after=wait
        )
        return report
    report.outcomes = poll_record(image=image, read=read, now=now)
    return report
