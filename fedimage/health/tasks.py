"""Celery tasks of image health: thin wrappers around services, fanned out one task per image."""

from __future__ import annotations

from celery import shared_task

from fedimage.core.locks import single_flight
from fedimage.health import selectors, services
from fedimage.health.models import PollTrigger

POLL_TIME_LIMIT = 10 * 60


@shared_task(name="health.poll_all", time_limit=120)
def poll_all() -> int:
    """Close runs stranded by a dead worker, then ask for one poll per active image.

    Returns how many polls were queued (an image already being polled is not polled twice).
    """
    services.runs_close_stranded()
    request = services.polls_request(images=selectors.active_images(), trigger=PollTrigger.SCHEDULE)
    return len(request.started)


@shared_task(
    bind=True,
    name="health.poll_image",
    autoretry_for=(services.PollThrottled, services.PollBusy),
    retry_backoff=30,
    retry_backoff_max=15 * 60,
    retry_jitter=True,
    max_retries=6,
    max_retry_after=15 * 60,
    time_limit=POLL_TIME_LIMIT,
)
def poll_image(self, image_id: int, run_id: int | None = None) -> str:
    """Poll one image for its run, never while another poll of it runs; idempotent.

    A busy image or registry, or a throttling one, is waited for: the task base retries after
    the error's `retry_after` (the registry's Retry-After, or when a lock or slot frees).
    """
    final = self.request.retries >= (self.max_retries or 0)
    return services.image_poll_run(image_id=image_id, run_id=run_id, final_attempt=final)


@shared_task(name="health.thin_samples", time_limit=30 * 60)
def thin_samples() -> int:
    """Thin old samples and digests' layer lists, forget old facts and runs; one run at a time.

    Returns the rows thinned or deleted.
    """
    with single_flight("health.thin_samples") as lease:
        if not lease:
            return 0
        return (
            services.samples_thin()
            + services.digests_thin()
            + services.facts_thin()
            + services.runs_thin()
        )
