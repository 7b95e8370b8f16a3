"""Celery tasks of image health: thin wrappers around services, fanned out one task per image."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from celery import shared_task
from django.conf import settings

from fedimage.health import selectors, services
from fedimage.health.models import WatchedImage
from fedimage.locks import single_flight

# Longer than any poll of one image can take (the hard time limit below), so a lock held by a
# running poll never lapses under it; a killed worker's lock lapses after this long.
POLL_TIME_LIMIT = 10 * 60
LOCK_TIMEOUT = POLL_TIME_LIMIT + 60


class RegistryBusy(Exception):
    """Every polling slot of the registry is taken: try again shortly."""


@contextmanager
def registry_slot(registry: str, *, limit: int | None = None) -> Iterator[bool]:
    """Yield True while holding one of the registry's `limit` polling slots, False if none free."""
    limit = limit or settings.HEALTH_REGISTRY_CONCURRENCY
    with ExitStack() as stack:
        for slot in range(limit):
            name = f"health.registry:{registry}:{slot}"
            if stack.enter_context(single_flight(name, timeout=LOCK_TIMEOUT)):
                yield True
                return
        yield False


@shared_task(name="health.poll_all", acks_late=True, time_limit=120, soft_time_limit=110)
def poll_all() -> int:
    """Queue one poll per active watched image; return how many were queued."""
    ids = selectors.active_image_ids()
    for image_id in ids:
        poll_image.delay(image_id)
    return len(ids)


@shared_task(
    bind=True,
    name="health.poll_image",
    acks_late=True,
    autoretry_for=(services.PollThrottled, RegistryBusy),
    retry_backoff=30,
    retry_backoff_max=15 * 60,
    retry_jitter=True,
    max_retries=6,
    time_limit=POLL_TIME_LIMIT,
    soft_time_limit=POLL_TIME_LIMIT - 30,
)
def poll_image(self, image_id: int) -> str:
    """Poll one image, never while another poll of it runs; idempotent (a poll is a sample)."""
    image = WatchedImage.objects.filter(pk=image_id, active=True).select_related("base").first()
    if image is None:
        return "gone"
    with single_flight(f"health.poll_image:{image_id}", timeout=LOCK_TIMEOUT) as acquired:
        if not acquired:
            return "already polling"
        with registry_slot(image.registry) as slot:
            if not slot:
                raise RegistryBusy(f"{image.registry}: every polling slot is busy")
            report = services.image_poll(image=image)
    if report.throttled is not None:
        # Honour the registry's Retry-After when it gives one; else the decorator's backoff.
        if report.throttled.retry_after:
            raise self.retry(
                exc=report.throttled, countdown=min(report.throttled.retry_after, 15 * 60)
            )
        raise report.throttled
    return f"{len(report.outcomes)} tags, {report.requests} requests"


@shared_task(
    name="health.thin_samples", acks_late=True, time_limit=30 * 60, soft_time_limit=29 * 60
)
def thin_samples() -> int:
    """Thin old raw samples and old digests' layer lists; never two runs at once.

    Returns the samples deleted plus the digest records thinned.
    """
    with single_flight("health.thin_samples", timeout=30 * 60) as acquired:
        if not acquired:
            return 0
        return services.samples_thin() + services.digests_thin()
