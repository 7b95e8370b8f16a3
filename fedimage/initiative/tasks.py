"""Celery tasks of the initiative domain: thin wrappers around services."""

from celery import shared_task

from fedimage.initiative import services
from fedimage.locks import single_flight


@shared_task(name="initiative.take_snapshot", acks_late=True, time_limit=120, soft_time_limit=100)
def take_snapshot() -> None:
    """Record today's headline counts; idempotent (one row a day), never two runs at once."""
    with single_flight("initiative.take_snapshot", timeout=120) as acquired:
        if acquired:
            services.snapshot_take()
