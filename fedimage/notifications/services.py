"""Writes of the notifications app: record events with the change that caused them, fan them
out to subscriptions as outbox rows, deliver one row at a time, and manage subscriptions.

The `notify_*` functions run in the receivers of the other apps' domain events
(fedimage.notifications.receivers), which those apps' services send inside their own
transaction: an event exists exactly when its change was committed, and delivery is enqueued
only after that commit.
"""

from __future__ import annotations

import os
import re
import smtplib
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from fedimage.core import outbox
from fedimage.core.permissions import require, require_user
from fedimage.core.retention import delete_in_batches
from fedimage.core.text import visible
from fedimage.health.models import TagState
from fedimage.initiative.models import Blocker, Milestone, MilestoneStatus, Severity
from fedimage.meetings.models import ActionItem
from fedimage.notifications.clients.matrix import MatrixClient, MatrixError, MatrixUnavailable
from fedimage.notifications.models import (
    Channel,
    Event,
    EventKind,
    Notification,
    NotificationStatus,
    Subscription,
)

User = AuthUser | AnonymousUser

# How long one delivery attempt may hold a notification before another worker may take it.
LEASE = timedelta(minutes=3)
# Attempts before a notification is given up (the task's backoff spreads them over hours).
MAX_ATTEMPTS = 8
# The delivery task's name (tasks.py registers it under it; this module queues it by name).
DELIVER_TASK = "notifications.deliver"
# A pending notification untouched this long lost its task (a broker outage): queue it again.
REDELIVER_AFTER = timedelta(minutes=10)
ROOM_RE = re.compile(r"^[!#][^:\s]+:[^\s]+$")
AT_RISK_STATUSES = (MilestoneStatus.AT_RISK, MilestoneStatus.SLIPPED)


class DeliveryDeferred(Exception):
    """The channel failed in a way worth retrying; `retry_after` is the delay it asked for."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DeliveryRefused(Exception):
    """The notification cannot be delivered (no address, Matrix not configured)."""


# Recording events --------------------------------------------------------------------------


def event_record(
    *,
    kind: str,
    subject: str,
    body: str = "",
    url: str = "",
    private: bool = False,
    recipient: AuthUser | None = None,
    dedupe_key: str | None = None,
) -> Event | None:
    """Record an event and one pending notification per matching subscription.

    Each notification's delivery goes through the task outbox: recorded in the surrounding
    transaction, sent after it commits (or, with the broker down, when it is back). With a
    `dedupe_key` already recorded, nothing is recorded again and None is returned.
    """
    fields = {
        "kind": kind,
        "subject": subject[:300],
        "body": body,
        "url": url,
        "private": private,
        "recipient": recipient,
    }
    with transaction.atomic():
        if dedupe_key is not None:
            try:
                with transaction.atomic():
                    event = Event.objects.create(**fields, dedupe_key=dedupe_key)
            except IntegrityError:
                return None
        else:
            event = Event.objects.create(**fields)
        subscriptions = Subscription.objects.filter(kind=kind, active=True)
        if private:
            subscriptions = subscriptions.exclude(channel=Channel.MATRIX)
        if recipient is not None:
            subscriptions = subscriptions.exclude(Q(channel=Channel.EMAIL) & ~Q(user=recipient))
        notifications = Notification.objects.bulk_create(
            [Notification(event=event, subscription=s) for s in subscriptions]
        )
        _queue_deliveries([n.pk for n in notifications])
    return event


def notify_blocker_critical(*, blocker: Blocker, escalated: bool = False) -> Event | None:
    """A critical blocker was filed (or an existing one raised to critical)."""
    verb = "raised to critical" if escalated else "filed"
    return event_record(
        kind=EventKind.BLOCKER_CRITICAL,
        subject=f"Critical blocker {verb}: #{blocker.pk} {blocker.title}",
        body=f"Reported by {blocker.reporter}; status {blocker.get_status_display()}.",
        url=blocker.get_absolute_url(),
        private=blocker.private,
    )


def notify_blocker_changed(*, blocker: Blocker, old_severity: str) -> Event | None:
    if blocker.severity == Severity.CRITICAL and old_severity != Severity.CRITICAL:
        return notify_blocker_critical(blocker=blocker, escalated=True)
    return None


def notify_milestone_status(*, milestone: Milestone, old_status: str) -> Event | None:
    """A milestone moved into at risk or slipped (re-confirming the same status is no news)."""
    if milestone.status == old_status or milestone.status not in AT_RISK_STATUSES:
        return None
    new = milestone.get_status_display().lower()
    note = f"\n{milestone.status_note}" if milestone.status_note else ""
    return event_record(
        kind=EventKind.MILESTONE_AT_RISK,
        subject=f"Milestone {new}: {milestone.title}",
        body=f"{MilestoneStatus(old_status).label} → {milestone.get_status_display()}.{note}",
        url=milestone.get_absolute_url(),
    )


def notify_image_health(*, state: TagState, was_unhealthy: bool) -> Event | None:
    """An image tag's incident opened (it turned unhealthy) or closed (it recovered)."""
    is_unhealthy = state.unhealthy_since is not None
    if is_unhealthy == was_unhealthy:
        return None
    ref = f"{state.image.reference}:{state.tag}"
    if is_unhealthy:
        kind, subject = EventKind.IMAGE_UNHEALTHY, f"{ref} is {state.get_state_display().lower()}"
    else:
        kind, subject = EventKind.IMAGE_RECOVERED, f"{ref} is healthy again"
    return event_record(kind=kind, subject=subject, body=state.reason, url=state.get_absolute_url())


def notify_action_item_due(*, item: ActionItem, today: date) -> Event | None:
    """An open action item is due: to its owner's e-mail and the subscribed rooms, once."""
    when = "today" if item.due_date == today else f"since {item.due_date:%Y-%m-%d}"
    return event_record(
        kind=EventKind.ACTION_ITEM_DUE,
        subject=f"Action item due {when}: {item.owner} to {item.text}"[:300],
        body=f"From {item.meeting}.",
        url=item.meeting.get_absolute_url(),
        recipient=item.owner,
        dedupe_key=f"action-item-due:{item.pk}:{item.due_date:%Y-%m-%d}",
    )


def notify_action_item_assigned(
    *, item: ActionItem, previous_owner: AuthUser | None
) -> Event | None:
    """An action item was given to someone: to the new owner's e-mail and the subscribed rooms."""
    taken = f", taken over from {previous_owner}" if previous_owner is not None else ""
    due = f" (due {item.due_date:%Y-%m-%d})" if item.due_date else ""
    return event_record(
        kind=EventKind.ACTION_ITEM_ASSIGNED,
        subject=f"Action item for {item.owner}{taken}: {item.text}{due}"[:300],
        body=f"From {item.meeting}.",
        url=item.meeting.get_absolute_url(),
        recipient=item.owner,
    )


def notify_milestone_plan_changed(
    *, milestone: Milestone, old_target_date: date | None, old_owner: str
) -> Event | None:
    """A lead moved a milestone's target date or gave it another owner (no change, no news)."""
    changes = []
    if milestone.target_date != old_target_date:
        changes.append(f"target date {_day(old_target_date)} → {_day(milestone.target_date)}")
    if milestone.owner != old_owner:
        changes.append(f"owner {old_owner or 'nobody'} → {milestone.owner or 'nobody'}")
    if not changes:
        return None
    return event_record(
        kind=EventKind.MILESTONE_PLAN_CHANGED,
        subject=f"Milestone replanned: {milestone.title}",
        body="; ".join(changes).capitalize() + ".",
        url=milestone.get_absolute_url(),
    )


def _day(value: date | None) -> str:
    return f"{value:%Y-%m-%d}" if value else "none"


def pending_to_redeliver(*, now=None) -> list[int]:
    """Pending notifications whose task was lost (no attempt in a while and no lease held)."""
    now = now or timezone.now()
    return list(
        Notification.objects.filter(
            status=NotificationStatus.PENDING, created_at__lt=now - REDELIVER_AFTER
        )
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now - REDELIVER_AFTER))
        .values_list("pk", flat=True)[:500]
    )


def notifications_deliver_again(*, notification_ids: list[int]) -> int:
    """Queue the failed ones among these notifications for delivery again, attempts reset.

    Returns how many were queued; pending and sent ones are left as they are.
    """
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update()
            .filter(pk__in=notification_ids, status=NotificationStatus.FAILED)
            .values_list("pk", flat=True)
        )
        Notification.objects.filter(pk__in=ids).update(
            status=NotificationStatus.PENDING, attempts=0, lease_until=None
        )
        _queue_deliveries(ids)
    return len(ids)


def _queue_deliveries(ids: list[int]) -> None:
    """Deliver each notification by its task, sent through the outbox once the change commits."""
    for pk in ids:
        outbox.enqueue(DELIVER_TASK, args=[pk])


# Retention ---------------------------------------------------------------------------------


def history_prune(*, now=None) -> dict[str, int]:
    """Forget delivered notifications and their events past their retention; idempotent.

    Notifications no longer pending (sent, failed, skipped) are kept NOTIFICATIONS_KEEP_DAYS,
    then events left without any notification; events found by a periodic scan (a `dedupe_key`,
    which stops the scan recording them again) are kept NOTIFICATIONS_SCANNED_KEEP_DAYS.
    Pending notifications are never deleted.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.NOTIFICATIONS_KEEP_DAYS)
    scanned_cutoff = now - timedelta(days=settings.NOTIFICATIONS_SCANNED_KEEP_DAYS)
    notifications = delete_in_batches(
        Notification.objects.exclude(status=NotificationStatus.PENDING).filter(
            created_at__lt=cutoff
        )
    )
    events = delete_in_batches(
        Event.objects.filter(created_at__lt=cutoff, notifications__isnull=True).filter(
            Q(dedupe_key__isnull=True) | Q(created_at__lt=scanned_cutoff)
        )
    )
    return {"notifications": notifications, "events": events}


# Delivering --------------------------------------------------------------------------------


def notification_deliver(*, notification_id: int) -> str:
    """Deliver one notification unless it was delivered already or is being delivered.

    Raises DeliveryDeferred on a transient failure (the caller retries with backoff). A Matrix
    retry reuses the notification's transaction ID, so the homeserver posts it at most once.
    """
    now = timezone.now()
    claimed = (
        Notification.objects.filter(pk=notification_id, status=NotificationStatus.PENDING)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
        .update(lease_until=now + LEASE, attempts=F("attempts") + 1)
    )
    if not claimed:
        return "not pending"
    notification = Notification.objects.select_related("event", "subscription__user").get(
        pk=notification_id
    )
    if not notification.subscription.active:
        _finish(notification, NotificationStatus.SKIPPED, error="the subscription was turned off")
        return "skipped"
    try:
        if notification.subscription.channel == Channel.MATRIX:
            remote_id = _send_matrix(notification)
        else:
            remote_id = _send_email(notification)
    except DeliveryDeferred as exc:
        if notification.attempts >= MAX_ATTEMPTS:
            _finish(notification, NotificationStatus.FAILED, error=f"gave up: {exc}")
            return "failed"
        notification.lease_until = None
        notification.last_error = str(exc)
        notification.save(update_fields=["lease_until", "last_error"])
        raise
    except DeliveryRefused as exc:
        _finish(notification, NotificationStatus.FAILED, error=str(exc))
        return "failed"
    _finish(notification, NotificationStatus.SENT, remote_id=remote_id)
    return "sent"


def _finish(
    notification: Notification, status: str, *, error: str = "", remote_id: str = ""
) -> None:
    notification.status = status
    notification.lease_until = None
    notification.last_error = error
    notification.remote_id = remote_id
    notification.sent_at = timezone.now() if status == NotificationStatus.SENT else None
    notification.save(update_fields=["status", "lease_until", "last_error", "remote_id", "sent_at"])


def message_text(event: Event) -> str:
    """The notice's text: titles and bodies come from people and trackers, so their bidi and
    control characters travel as visible markers (⟨U+202E⟩), as the pages show them."""
    lines = [subject_line(event)]
    if event.body:
        lines.append(visible(event.body))
    if event.url:
        lines.append(settings.NOTIFICATIONS_SITE_URL.rstrip("/") + event.url)
    return "\n".join(lines)


def subject_line(event: Event) -> str:
    """The subject on one line (a mail header cannot hold a line break), controls visible."""
    return " ".join(visible(event.subject).split())


def _matrix_token() -> str:
    name = settings.NOTIFICATIONS_MATRIX_TOKEN_ENV
    token = os.environ.get(name, "") if name else ""
    if not token:
        raise DeliveryRefused(f"Matrix is not configured: the variable {name} is not set")
    return token


def _scrub(text: str, secret: str) -> str:
    return text.replace(secret, "[token]") if secret else text


def _send_matrix(notification: Notification) -> str:
    if not settings.NOTIFICATIONS_MATRIX_HOMESERVER:
        raise DeliveryRefused("Matrix is not configured: NOTIFICATIONS_MATRIX_HOMESERVER is empty")
    token = _matrix_token()
    client = MatrixClient(base_url=settings.NOTIFICATIONS_MATRIX_HOMESERVER, token=token)
    try:
        sent = client.send_notice(
            room=notification.subscription.room,
            txn_id=notification.txn_id,
            body=message_text(notification.event),
        )
    except MatrixUnavailable as exc:
        raise DeliveryDeferred(_scrub(str(exc), token), retry_after=exc.retry_after) from None
    except MatrixError as exc:
        raise DeliveryRefused(_scrub(str(exc), token)) from None
    finally:
        client.close()
    return sent.event_id


def _send_email(notification: Notification) -> str:
    user = notification.subscription.user
    address = getattr(user, "email", "") if user is not None else ""
    if not address:
        raise DeliveryRefused(f"{user} has no e-mail address")
    event = notification.event
    try:
        send_mail(
            subject=f"[fedimage] {subject_line(event)}",
            message=message_text(event),
            from_email=None,
            recipient_list=[address],
        )
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryRefused(f"the mail server refused {address}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryDeferred(f"the mail server failed: {type(exc).__name__}") from None
    return ""


# Subscriptions -----------------------------------------------------------------------------


@transaction.atomic
def email_subscriptions_set(*, user: User, kinds: set[str]) -> None:
    """Subscribe the signed-in user's e-mail to exactly these kinds of event."""
    member = require_user(user, "notifications.subscribe_email")
    unknown = set(kinds) - set(EventKind.values)
    if unknown:
        raise ValidationError({"kinds": f"Unknown events: {', '.join(sorted(unknown))}."})
    for kind in EventKind.values:
        Subscription.objects.update_or_create(
            channel=Channel.EMAIL,
            user=member,
            kind=kind,
            defaults={"active": kind in kinds},
            create_defaults={"active": kind in kinds, "created_by": member},
        )


@transaction.atomic
def room_subscribe(*, user: User, room: str, kinds: set[str]) -> list[Subscription]:
    """Subscribe a Matrix room to these kinds of event (leads only)."""
    lead = require_user(user, "notifications.subscribe_room")
    room = room.strip()
    if not ROOM_RE.match(room):
        raise ValidationError({"room": "Give a room ID (!abc:server) or alias (#room:server)."})
    if not kinds or set(kinds) - set(EventKind.values):
        raise ValidationError({"kinds": "Choose at least one kind of event."})
    return [
        Subscription.objects.update_or_create(
            channel=Channel.MATRIX,
            room=room,
            kind=kind,
            defaults={"active": True},
            create_defaults={"active": True, "created_by": lead},
        )[0]
        for kind in sorted(kinds)
    ]


@transaction.atomic
def subscription_delete(*, user: User, subscription: Subscription) -> None:
    """Remove a subscription: a room's by a lead, an e-mail one by its owner or a lead."""
    require(user, "notifications.delete_subscription", subscription)
    subscription.delete()
