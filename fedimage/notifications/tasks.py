"""Celery tasks of notifications: thin wrappers around services."""

from __future__ import annotations

from celery import shared_task

from fedimage.locks import single_flight
from fedimage.notifications import services

# Below the Redis visibility timeout (3 h), so a delayed retry never runs twice.
MAX_COUNTDOWN = 30 * 60


@shared_task(
    bind=True,
    name="notifications.deliver",
    acks_late=True,
    autoretry_for=(services.DeliveryDeferred,),
    retry_backoff=30,
    retry_backoff_max=MAX_COUNTDOWN,
    retry_jitter=True,
    max_retries=services.MAX_ATTEMPTS,
    time_limit=90,
    soft_time_limit=60,
)
def deliver(self, notification_id: int) -> str:
    """Deliver one notification; a second run of a delivered one does nothing."""
    try:
        return services.notification_deliver(notification_id=notification_id)
    except services.DeliveryDeferred as exc:
        # Honour the server's Retry-After when it gives one; else the decorator's backoff.
        if exc.retry_after is not None:
            raise self.retry(exc=exc, countdown=min(exc.retry_after, MAX_COUNTDOWN)) from None
        raise


@shared_task(name="notifications.action_items_due", acks_late=True, time_limit=300)
def action_items_due() -> int:
    """Record the action items due today or earlier, once per item and due date."""
    with single_flight("notifications.action_items_due", timeout=300) as acquired:
        return services.action_items_due_record() if acquired else 0


@shared_task(name="notifications.redeliver_pending", acks_late=True, time_limit=120)
def redeliver_pending() -> int:
    """Queue again the pending notifications whose delivery task was lost."""
    ids = services.pending_to_redeliver()
    for notification_id in ids:
        deliver.delay(notification_id)
    return len(ids)
