"""Delivery of notifications to a local Matrix homeserver and through Django's mail backend."""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.core import mail
from django.utils import timezone
from django.utils.http import http_date

from fedimage.notifications import services
from fedimage.notifications.models import (
    Channel,
    EventKind,
    Notification,
    NotificationStatus,
    Subscription,
)
from fedimage.notifications.tasks import deliver
from tests.notifications.conftest import ROOM_ID, TOKEN
from tests.notifications.matrix_server import MatrixHomeserver, Scripted

pytestmark = pytest.mark.django_db


def room_subscription(room: str = ROOM_ID, kind: str = EventKind.BLOCKER_CRITICAL):
    return Subscription.objects.create(kind=kind, channel=Channel.MATRIX, room=room)


def email_subscription(user, kind: str = EventKind.BLOCKER_CRITICAL):
    return Subscription.objects.create(kind=kind, channel=Channel.EMAIL, user=user)


def record(kind: str = EventKind.BLOCKER_CRITICAL) -> list[Notification]:
    event = services.event_record(
        kind=kind, subject="Critical blocker filed: #7 bootc upgrade loops", url="/blockers/7/"
    )
    return list(event.notifications.order_by("pk"))


def send_path(room_id: str, txn_id: str) -> str:
    return (
        f"/_matrix/client/v3/rooms/{quote(room_id, safe='')}/send/m.room.message/"
        f"{quote(txn_id, safe='')}"
    )


def test_matrix_delivery_puts_a_notice_with_the_bearer_token(homeserver: MatrixHomeserver):
    room_subscription()
    [notification] = record()

    assert deliver.apply(args=[notification.pk]).get() == "sent"

    [request] = homeserver.requests
    assert request.method == "PUT"
    assert request.path == send_path(ROOM_ID, f"fedimage-notification-{notification.pk}")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.body == {
        "msgtype": "m.notice",
        "body": "Critical blocker filed: #7 bootc upgrade loops\n"
        "https://fedimage.example.org/blockers/7/",
    }
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert notification.remote_id == "$event1"
    assert notification.sent_at is not None


def test_room_alias_is_resolved_through_the_directory(homeserver: MatrixHomeserver):
    homeserver.aliases["#bootc:fedoraproject.org"] = ROOM_ID
    room_subscription(room="#bootc:fedoraproject.org")
    [notification] = record()

    deliver.apply(args=[notification.pk])

    lookup, send = homeserver.requests
    assert (lookup.method, lookup.path) == (
        "GET",
        "/_matrix/client/v3/directory/room/%23bootc%3Afedoraproject.org",
    )
    assert send.path == send_path(ROOM_ID, notification.txn_id)
    assert len(homeserver.messages[ROOM_ID]) == 1


def test_retries_after_500_and_429_reuse_the_txn_id_and_post_once(homeserver: MatrixHomeserver):
    """A retry is the same Matrix transaction: the homeserver posts the message once."""
    room_subscription()
    [notification] = record()
    homeserver.script = [
        Scripted(500, {"errcode": "M_UNKNOWN", "error": "Internal server error"}),
        Scripted(429, {"errcode": "M_LIMIT_EXCEEDED"}, {"Retry-After": "1"}),
    ]

    # Eager mode runs the retries at once (a real worker waits for the countdown).
    assert deliver.apply(args=[notification.pk]).get() == "sent"

    paths = {r.path for r in homeserver.sends}
    assert len(homeserver.sends) == 3
    assert paths == {send_path(ROOM_ID, f"fedimage-notification-{notification.pk}")}
    assert len(homeserver.messages[ROOM_ID]) == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (NotificationStatus.SENT, 3)


def test_a_429_with_an_http_date_defers_until_that_date(homeserver: MatrixHomeserver):
    """Retry-After may be an HTTP date (RFC 9110); the one parser reads both forms."""
    room_subscription()
    notification = record()[0]
    when = http_date((timezone.now() + timedelta(seconds=90)).timestamp())
    homeserver.script = [Scripted(429, {"errcode": "M_LIMIT_EXCEEDED"}, {"Retry-After": when})]

    with pytest.raises(services.DeliveryDeferred) as deferred:
        services.notification_deliver(notification_id=notification.pk)

    assert 80 <= deferred.value.retry_after <= 90


def test_a_429_defers_by_the_delay_the_homeserver_asks_for(homeserver: MatrixHomeserver):
    room_subscription()
    first, second = (
        record()[0],
        services.event_record(
            kind=EventKind.BLOCKER_CRITICAL, subject="Another"
        ).notifications.get(),
    )
    homeserver.script = [
        Scripted(429, {"errcode": "M_LIMIT_EXCEEDED"}, {"Retry-After": "7"}),
        Scripted(429, {"errcode": "M_LIMIT_EXCEEDED", "retry_after_ms": 2500}),
    ]

    with pytest.raises(services.DeliveryDeferred) as by_header:
        services.notification_deliver(notification_id=first.pk)
    with pytest.raises(services.DeliveryDeferred) as by_body:
        services.notification_deliver(notification_id=second.pk)

    assert by_header.value.retry_after == 7
    assert by_body.value.retry_after == 2.5
    first.refresh_from_db()
    assert first.status == NotificationStatus.PENDING
    assert first.lease_until is None
    assert "rate limited" in first.last_error


def test_network_failure_is_retried_and_gives_up_after_the_last_attempt(
    homeserver: MatrixHomeserver,
):
    room_subscription()
    [notification] = record()
    homeserver.stop()

    with pytest.raises(services.DeliveryDeferred, match="did not answer"):
        services.notification_deliver(notification_id=notification.pk)
    Notification.objects.filter(pk=notification.pk).update(attempts=services.MAX_ATTEMPTS - 1)
    assert services.notification_deliver(notification_id=notification.pk) == "failed"

    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED
    assert notification.last_error.startswith("gave up:")


def test_a_refusal_fails_at_once_without_retrying(homeserver: MatrixHomeserver):
    room_subscription()
    [notification] = record()
    homeserver.script = [Scripted(403, {"errcode": "M_FORBIDDEN", "error": "not in room"})]

    assert deliver.apply(args=[notification.pk]).get() == "failed"

    assert len(homeserver.sends) == 1
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED
    assert "403 M_FORBIDDEN not in room" in notification.last_error


def test_email_is_sent_through_the_mail_backend(member):
    member.email = "stakeholder@example.org"
    member.save()
    email_subscription(member)
    [notification] = record()

    assert deliver.apply(args=[notification.pk]).get() == "sent"

    [message] = mail.outbox
    assert message.to == ["stakeholder@example.org"]
    assert message.subject == "[fedimage] Critical blocker filed: #7 bootc upgrade loops"
    assert "/blockers/7/" in message.body


def test_email_to_an_account_without_an_address_fails_plainly(member):
    email_subscription(member)
    [notification] = record()

    assert deliver.apply(args=[notification.pk]).get() == "failed"

    assert mail.outbox == []
    notification.refresh_from_db()
    assert notification.last_error == "stakeholder has no e-mail address"


def test_running_the_delivery_twice_sends_each_notification_once(
    homeserver: MatrixHomeserver, member
):
    member.email = "stakeholder@example.org"
    member.save()
    room_subscription()
    email_subscription(member)
    notifications = record()

    for _ in range(2):
        for notification in notifications:
            deliver.apply(args=[notification.pk])

    assert len(homeserver.sends) == 1
    assert len(mail.outbox) == 1
    assert services.notification_deliver(notification_id=notifications[0].pk) == "not pending"


def test_a_notification_being_delivered_is_not_taken_by_a_second_worker(
    homeserver: MatrixHomeserver,
):
    room_subscription()
    [notification] = record()
    Notification.objects.filter(pk=notification.pk).update(
        lease_until=timezone.now() + services.LEASE
    )

    assert services.notification_deliver(notification_id=notification.pk) == "not pending"
    assert homeserver.requests == []


def test_a_subscription_turned_off_before_delivery_is_skipped(homeserver: MatrixHomeserver):
    subscription = room_subscription()
    [notification] = record()
    Subscription.objects.filter(pk=subscription.pk).update(active=False)

    assert services.notification_deliver(notification_id=notification.pk) == "skipped"
    assert homeserver.requests == []


def test_without_a_token_in_the_environment_matrix_delivery_fails_naming_the_variable(
    homeserver: MatrixHomeserver, monkeypatch
):
    monkeypatch.delenv("FEDIMAGE_TEST_MATRIX_TOKEN")
    room_subscription()
    [notification] = record()

    assert services.notification_deliver(notification_id=notification.pk) == "failed"
    notification.refresh_from_db()
    assert "FEDIMAGE_TEST_MATRIX_TOKEN is not set" in notification.last_error
    assert homeserver.requests == []


def test_the_token_is_never_in_logs_errors_rows_or_pages(
    homeserver: MatrixHomeserver, caplog, admin_client
):
    """Even a homeserver echoing the token back, or a failing network, never exposes it."""
    caplog.set_level(logging.DEBUG)
    room_subscription()
    ok, refused, unreachable = (record()[0] for _ in range(3))
    homeserver.script = [Scripted(401, {"errcode": "M_UNKNOWN_TOKEN", "error": f"bad {TOKEN}"})]

    deliver.apply(args=[refused.pk])
    deliver.apply(args=[ok.pk])
    homeserver.stop()
    with pytest.raises(services.DeliveryDeferred) as raised:
        services.notification_deliver(notification_id=unreachable.pk)

    assert len(homeserver.sends) == 2
    refused.refresh_from_db()
    assert refused.status == NotificationStatus.FAILED
    assert "[token]" in refused.last_error
    texts = [caplog.text, str(raised.value), repr(raised.value)]
    for model in (Notification, Subscription):
        texts += [str(row) for row in model.objects.values()]
    for url in (
        "/admin/notifications/notification/",
        f"/admin/notifications/notification/{refused.pk}/change/",
        "/admin/notifications/event/",
        "/notifications/",
    ):
        response = admin_client.get(url)
        assert response.status_code == 200
        texts.append(response.content.decode())
    assert all(TOKEN not in text for text in texts)
    assert "Bearer" not in caplog.text


def test_pending_notifications_whose_task_was_lost_are_queued_again(homeserver):
    room_subscription()
    [old] = record()
    record()
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=1))

    assert services.pending_to_redeliver() == [old.pk]


def test_bidi_and_control_characters_reach_matrix_and_mail_as_visible_markers(
    homeserver: MatrixHomeserver, member
):
    member.email = "stakeholder@example.org"
    member.save()
    room_subscription()
    email_subscription(member)
    event = services.event_record(
        kind=EventKind.BLOCKER_CRITICAL,
        subject="Critical blocker filed: #9 fix \u202eexe.txt\nand more",
        body="Reported by \x1b[31mred\x1b[0m.\nSecond line.",
        url="/blockers/9/",
    )

    for notification in event.notifications.order_by("pk"):
        assert deliver.apply(args=[notification.pk]).get() == "sent"

    [request] = homeserver.requests
    assert request.body["body"] == (
        "Critical blocker filed: #9 fix ⟨U+202E⟩exe.txt and more\n"
        "Reported by ⟨U+001B⟩[31mred⟨U+001B⟩[0m.\nSecond line.\n"
        "https://fedimage.example.org/blockers/9/"
    )
    [message] = mail.outbox
    assert message.subject == "[fedimage] Critical blocker filed: #9 fix ⟨U+202E⟩exe.txt and more"
    assert "\u202e" not in message.body
    assert "\x1b" not in message.body
    assert "⟨U+202E⟩exe.txt" in message.body
