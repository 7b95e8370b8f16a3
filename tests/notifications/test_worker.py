"""One delivery through the Redis broker and a real Celery worker thread."""

from __future__ import annotations

import time

import pytest
from celery.contrib.testing.worker import start_worker

from fedimage.celery import app
from fedimage.initiative.models import Severity
from fedimage.initiative.services import blocker_file
from fedimage.notifications.models import (
    Channel,
    EventKind,
    Notification,
    NotificationStatus,
    Subscription,
)
from tests.notifications.conftest import ROOM_ID
from tests.notifications.matrix_server import MatrixHomeserver


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_a_critical_blocker_to_the_room(
    homeserver: MatrixHomeserver, member
):
    """Filing commits, the task goes through Redis, the worker posts once to the room."""
    assert app.conf.broker_url.startswith("redis://")
    Subscription.objects.create(
        kind=EventKind.BLOCKER_CRITICAL, channel=Channel.MATRIX, room=ROOM_ID
    )
    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
        blocker = blocker_file(reporter=member, title="Upgrades loop", severity=Severity.CRITICAL)
        deadline = time.monotonic() + 20
        while not homeserver.sends and time.monotonic() < deadline:
            time.sleep(0.1)
        notification = Notification.objects.get()
        while notification.status != NotificationStatus.SENT and time.monotonic() < deadline:
            time.sleep(0.1)
            notification.refresh_from_db()

    assert notification.status == NotificationStatus.SENT
    [send] = homeserver.sends
    assert send.body["body"].startswith(f"Critical blocker filed: #{blocker.pk} Upgrades loop")
