"""Celery tasks of the bus app: thin wrappers around its services."""

from __future__ import annotations

from celery import shared_task

from fedimage.bus import services


@shared_task(
    name="bus.publish_pending",
    autoretry_for=(services.PublishInProgress,),
    retry_backoff=5,
    max_retries=5,
    time_limit=5 * 60,
)
def publish_pending() -> int:
    """Publish what waits; return how many went out. Beat runs it too, after outages."""
    report = services.publish_pending()
    return report.sent


@shared_task(name="bus.housekeeping", time_limit=5 * 60)
def housekeeping() -> int:
    """Record the minutes of meetings that ended, forget old sent messages, publish."""
    announced = services.minutes_announce()
    services.messages_prune()
    if announced:
        publish_pending.delay()
    return announced
