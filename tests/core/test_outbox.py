"""The task outbox: tasks commit with the change that asks for them and survive a dead broker."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from celery import Celery
from django.db import transaction

from fedimage.celery import app
from fedimage.core import outbox
from fedimage.core.models import OutboxMessage
from fedimage.initiative.models import Blocker
from fedimage.notifications.models import (
    Channel,
    EventKind,
    Notification,
    NotificationStatus,
    Subscription,
)
from tests.notifications.conftest import ROOM_ID, homeserver  # noqa: F401 (a fixture)
from tests.notifications.matrix_server import MatrixHomeserver
from tests.worker import redis_worker, wait_for

RAN: list[tuple[str, int]] = []


@app.task(name="tests.core.record", time_limit=10)
def record(label: str, number: int = 0) -> None:
    RAN.append((label, number))


@pytest.fixture
def broker_down() -> Iterator[Celery]:
    """Make the current Celery app one whose broker is a closed port on 127.0.0.1.

    The same tasks and task base (shared tasks resolve through the current app), only the
    broker differs: publishing meets a real connection refused.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dead = Celery(
        "dead",
        broker=f"redis://127.0.0.1:{port}/0",
        task_cls="fedimage.core.tasks:Task",
        set_as_current=False,
    )
    dead.conf.task_publish_retry_policy = app.conf.task_publish_retry_policy
    dead.conf.broker_transport_options = {"socket_connect_timeout": 1}
    dead.set_current()
    try:
        yield dead
    finally:
        app.set_current()
        dead.close()


@pytest.fixture(autouse=True)
def clear_ran() -> None:
    RAN.clear()


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_nothing_to_send():
    def change_that_fails() -> None:
        with transaction.atomic():
            record.enqueue("never")
            raise RuntimeError("the change fails")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db
def test_the_row_is_written_in_the_callers_transaction(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        message = record.enqueue("later", number=3)
        assert OutboxMessage.objects.filter(pk=message.pk).exists()
    assert (message.task, message.args, message.kwargs) == (
        "tests.core.record",
        ["later"],
        {"number": 3},
    )
    assert len(callbacks) == 1


@pytest.mark.django_db(transaction=True)
def test_after_commit_the_task_is_sent_to_a_real_worker_and_the_row_deleted():
    with redis_worker():
        with transaction.atomic():
            record.enqueue("committed", number=1)
        assert wait_for(lambda: RAN == [("committed", 1)], timeout=20)
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_the_row_waits_and_the_relay_sends_it_when_back(broker_down):
    with transaction.atomic():
        message = record.enqueue("waits", number=2)

    message.refresh_from_db()  # still there: the send after commit failed, quietly
    assert message.attempts == 1
    assert "Error" in message.last_error
    assert outbox.relay() == 0  # broker still down: nothing sent, nothing lost

    app.set_current()  # the broker is back
    with redis_worker():
        assert outbox.relay() == 1
        assert wait_for(lambda: RAN == [("waits", 2)], timeout=20)
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_relay_sends_the_rows_left_behind_oldest_first():
    OutboxMessage.objects.bulk_create(
        [OutboxMessage(task="tests.core.record", args=["left", n]) for n in range(5)]
    )
    with redis_worker():
        assert outbox.relay() == 5
        assert wait_for(lambda: len(RAN) == 5, timeout=20)
    assert [("left", n) for n in range(5)] == RAN
    assert outbox.relay() == 0


@pytest.mark.django_db(transaction=True)
def test_filing_a_critical_blocker_with_the_broker_down_succeeds_once_and_notifies_later(
    homeserver: MatrixHomeserver,  # noqa: F811
    member_client,
    initiative,
    broker_down,
):
    """The form answers success (not 500 after saving), so nobody files it twice; the
    notification reaches the room once the broker is back and the relay runs."""
    Subscription.objects.create(
        kind=EventKind.BLOCKER_CRITICAL, channel=Channel.MATRIX, room=ROOM_ID
    )
    response = member_client.post(
        "/blockers/new/",
        {
            "title": "Upgrades loop forever",
            "severity": "critical",
            "category": "konflux",
            "justification": "Every upgrade reboots into the old deployment.",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert Blocker.objects.count() == 1
    assert Notification.objects.get().status == NotificationStatus.PENDING
    assert OutboxMessage.objects.get().task == "notifications.deliver"
    assert homeserver.sends == []

    app.set_current()  # the broker is back
    with redis_worker():
        outbox.relay()
        assert wait_for(lambda: len(homeserver.sends) == 1, timeout=20)
        assert wait_for(
            lambda: Notification.objects.get().status == NotificationStatus.SENT, timeout=20
        )
    assert homeserver.sends[0].body["body"].startswith("Critical blocker filed")
