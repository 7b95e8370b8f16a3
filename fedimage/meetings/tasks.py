"""Celery tasks of meetings: thin wrappers around services."""

from __future__ import annotations

from celery import shared_task

from fedimage.core.locks import single_flight
from fedimage.meetings import services


@shared_task(name="meetings.action_items_due", time_limit=300)
def action_items_due() -> int:
    """Announce the action items due today or earlier, once per item and due date."""
    with single_flight("meetings.action_items_due") as lease:
        return services.action_items_due_announce() if lease else 0
