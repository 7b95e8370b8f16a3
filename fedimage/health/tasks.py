"""Celery tasks of image health: thin wrappers around services, fanned out one task per image."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from celery import shared_task
from django.conf import settings

from fedimage.core.locks import Lease, semaphore, single_flight
from fedimage.health import selectors, services
from fedimage.health.models import WatchedImage

POLL_TIME_LIMIT = 10 * 60


class RegistryBusy(Exception):
    """Every polling slot of the registry is taken: try again when one frees."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@contextmanager
def registry_slot(registry: str, *, limit: int | None = None) -> Iterator[Lease]:
    """Yield a held Lease on one of the registry's `limit` polling slots, or one not held."""
    with semaphore(
        f"health.registry:{registry}", limit=limit or settings.HEALTH_REGISTRY_CONCURRENCY
    ) as lease:
        yield lease


@shared_task(name="health.poll_all", time_limit=120)
def poll_all() -> int:
    """Queue one poll per active watched image; return how many were queued."""
    ids = selectors.active_image_ids()
    for image_id in ids:
        poll_image.delay(image_id)
    return len(ids)


@shared_task(
    name="health.poll_image",
    autoretry_for=(services.PollThrottled, RegistryBusy),
    retry_backoff=30,
    retry_backoff_max=15 * 60,
    retry_jitter=True,
    max_retries=6,
    max_retry_after=15 * 60,
    time_limit=POLL_TIME_LIMIT,
)
def poll_image(image_id: int) -> str:
    """Poll one image, never while another poll of it runs; idempotent (a poll is a sample).

    A throttled poll is retried after the registry's Retry-After when it gives one (the task
    base honours `retry_after`), else after the decorator's backoff.
    """
    image = WatchedImage.objects.filter(pk=image_id, active=True).select_related("base").first()
    if image is None:
        return "gone"
    with single_flight(f"health.poll_image:{image_id}") as lease:
        if not lease:
            return "already polling"
        with registry_slot(image.registry) as slot:
            if not slot:
                raise RegistryBusy(
                    f"{image.registry}: every polling slot is busy", retry_after=slot.retry_after
                )
            report = services.image_poll(image=image)
    if report.throttled is not None:
        raise report.throttled
    return f"{len(report.outcomes)} tags, {report.requests} requests"


@shared_task(name="health.thin_samples", time_limit=30 * 60)
def thin_samples() -> int:
    """Thin old raw samples and old digests' layer lists; never two runs at once.

    Returns the samples deleted plus the digest records thinned.
    """
    with single_flight("health.thin_samples") as lease:
        if not lease:
            return 0
        return services.samples_thin() + services.digests_thin()
