"""Delivered notifications and their events are forgotten after their retention."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fedimage.notifications.models import Event, Notification, Subscription
from fedimage.notifications.tasks import prune

pytestmark = pytest.mark.django_db


def test_old_deliveries_and_events_go_pending_and_scanned_ones_stay(member, settings):
    settings.NOTIFICATIONS_KEEP_DAYS = 30
    settings.NOTIFICATIONS_SCANNED_KEEP_DAYS = 365
    subscription = Subscription.objects.create(
        kind="blocker_critical", channel="email", user=member
    )
    now = timezone.now()

    def event(subject: str, days: int, status: str | None, dedupe_key: str | None = None):
        at = now - timedelta(days=days)
        made = Event.objects.create(
            kind="blocker_critical", subject=subject, created_at=at, dedupe_key=dedupe_key
        )
        if status:
            Notification.objects.create(
                event=made, subscription=subscription, status=status, created_at=at
            )

    event("old sent", 40, "sent")
    event("old failed", 40, "failed")
    event("old pending", 40, "pending")
    event("recent sent", 10, "sent")
    event("old scanned", 40, None, dedupe_key="action-item-due:1:2026-01-01")
    event("ancient scanned", 400, None, dedupe_key="action-item-due:2:2025-01-01")

    assert prune() == 5  # 2 notifications, 3 events
    assert prune() == 0  # idempotent

    kept = set(Event.objects.values_list("subject", flat=True))
    assert kept == {"old pending", "recent sent", "old scanned"}
    assert set(Notification.objects.values_list("status", flat=True)) == {"pending", "sent"}
