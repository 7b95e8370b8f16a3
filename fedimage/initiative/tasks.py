"""Celery tasks of the initiative domain: thin wrappers around services."""

from celery import shared_task

from fedimage.core.locks import single_flight
from fedimage.initiative import services


@shared_task(name="initiative.take_snapshot", time_limit=120)
def take_snapshot() -> None:
    """Record today's headline counts; idempotent (one row a day), never two runs at once."""
    with single_flight("initiative.take_snapshot") as lease:
        if lease:
            services.snapshot_take()
