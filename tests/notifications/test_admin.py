"""The notifications admin: failed deliveries are queued again through the service."""

from __future__ import annotations

import pytest

from fedimage.core.models import OutboxMessage
from fedimage.notifications import services
from fedimage.notifications.models import (
    Channel,
    EventKind,
    Notification,
    NotificationStatus,
    Subscription,
)

pytestmark = pytest.mark.django_db


def test_deliver_again_queues_the_failed_notifications_and_leaves_the_others(
    admin_client, member, other_member
):
    for user in (member, other_member):
        Subscription.objects.create(
            kind=EventKind.BLOCKER_CRITICAL, channel=Channel.EMAIL, user=user
        )
    event = services.event_record(
        kind=EventKind.BLOCKER_CRITICAL, subject="Critical blocker filed: #7", url="/blockers/7/"
    )
    failed, pending = event.notifications.order_by("pk")
    Notification.objects.filter(pk=failed.pk).update(
        status=NotificationStatus.FAILED, attempts=5, last_error="refused"
    )
    queued_before = OutboxMessage.objects.filter(task="notifications.deliver").count()

    response = admin_client.post(
        "/admin/notifications/notification/",
        {"action": "deliver_again", "_selected_action": [failed.pk, pending.pk]},
        follow=True,
    )

    assert "1 queued again." in response.content.decode()
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (NotificationStatus.PENDING, 0)
    assert OutboxMessage.objects.filter(task="notifications.deliver").count() == queued_before + 1
    assert OutboxMessage.objects.filter(args=[failed.pk]).exists()


def test_deliver_again_of_nothing_failed_changes_nothing(member):
    Subscription.objects.create(kind=EventKind.BLOCKER_CRITICAL, channel=Channel.EMAIL, user=member)
    event = services.event_record(kind=EventKind.BLOCKER_CRITICAL, subject="s", url="/")
    [pending] = event.notifications.all()

    assert services.notifications_deliver_again(notification_ids=[pending.pk]) == 0
    pending.refresh_from_db()
    assert pending.status == NotificationStatus.PENDING
