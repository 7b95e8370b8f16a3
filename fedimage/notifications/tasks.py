"""Celery tasks of notifications: thin wrappers around services."""

from __future__ import annotations

from celery import shared_task

from fedimage.core.locks import single_flight
from fedimage.notifications import services

# The longest a retry waits, whatever a server's Retry-After asks for.
MAX_COUNTDOWN = 30 * 60


@shared_task(
    name=services.DELIVER_TASK,
    autoretry_for=(services.DeliveryDeferred,),
    retry_backoff=30,
    retry_backoff_max=MAX_COUNTDOWN,
    retry_jitter=True,
    max_retries=services.MAX_ATTEMPTS,
    max_retry_after=MAX_COUNTDOWN,
    time_limit=90,
)
def deliver(notification_id: int) -> str:
    """Deliver one notification; a second run of a delivered one does nothing.

    A deferred delivery is retried after the server's Retry-After when it gives one (the task
    base honours `retry_after`), else after the decorator's backoff.
    """
    return services.notification_deliver(notification_id=notification_id)


@shared_task(name="notifications.redeliver_pending", time_limit=120)
def redeliver_pending() -> int:
    """Queue again the pending notifications whose delivery task was lost."""
    ids = services.pending_to_redeliver()
    for notification_id in ids:
        deliver.delay(notification_id)
    return len(ids)


@shared_task(name="notifications.prune", time_limit=600)
def prune() -> int:
    """Apply the notifications' retention; idempotent, single-flight. Returns rows deleted."""
    with single_flight("notifications.prune") as lease:
        return sum(services.history_prune().values()) if lease else 0
