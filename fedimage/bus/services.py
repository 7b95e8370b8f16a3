"""Writes of the bus app: recording messages with their change, publishing them, housekeeping.

A domain event's receiver records the message as a row in the event's own transaction (so it
exists exactly when the change committed) and, once that commits, asks a worker to publish.
The worker publishes pending rows oldest first under one lock, and stops at the first broker
failure: the rows wait, in order, for the next run (beat's `bus.publish_pending`). A request
never waits for the broker and never learns whether it is up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from fedimage.bus import messages, publisher
from fedimage.bus.models import BusMessage, MessageStatus
from fedimage.core.locks import single_flight
from fedimage.core.retention import delete_in_batches
from fedimage.meetings import selectors as meeting_selectors
from fedimage.meetings.models import Meeting

logger = logging.getLogger(__name__)

LOCK_NAME = "bus.publish"
# Meetings ended this long ago or more are not announced any more (a bus turned on late).
MINUTES_LOOKBACK = timedelta(days=7)


class PublishInProgress(Exception):
    """Another worker is publishing; it will also send what this run would have."""

    def __init__(self, *, retry_after: float) -> None:
        super().__init__(LOCK_NAME)
        self.retry_after = retry_after


def message_record(
    *, schema: str, topic: str, body: dict, severity: int = 20, dedupe_key: str | None = None
) -> BusMessage | None:
    """Record a message in the current transaction; publish it after the commit.

    Nothing is recorded while no broker is configured. With `dedupe_key`, a message recorded
    before under the same key is not recorded again (returns None).
    """
    if not publisher.enabled():
        return None
    try:
        with transaction.atomic():
            message = BusMessage.objects.create(
                schema=schema, topic=topic, body=body, severity=severity, dedupe_key=dedupe_key
            )
    except IntegrityError:
        if dedupe_key is None:
            raise
        return None
    _publish_after_commit()
    return message


def _publish_after_commit() -> None:
    """Queue one publishing task per transaction, however many messages it records."""
    connection = transaction.get_connection()
    if any(func is _kick for _, func, _ in getattr(connection, "run_on_commit", [])):
        return
    transaction.on_commit(_kick, robust=True)


def _kick() -> None:
    # Imported here: tasks imports this module.
    from fedimage.bus import tasks  # noqa: PLC0415

    try:
        tasks.publish_pending.apply_async()
    except Exception:
        # The Celery broker is away: beat's periodic run publishes the rows, nothing is lost.
        logger.warning("bus: could not queue the publishing task; beat will", exc_info=True)


@dataclass
class PublishReport:
    sent: int = 0
    refused: int = 0
    failed: BusMessage | None = None
    error: str = ""


def publish_pending(*, limit: int = 1000) -> PublishReport:
    """Publish pending messages, oldest first, until none is left, `limit`, or a broker failure.

    Raises PublishInProgress when another worker holds the publishing lock. A message the
    broker confirmed is marked sent; one it refuses (or that fails its schema) is marked
    refused with the reason and the next goes on; a timeout or a broken connection stops the
    run, leaving that message and every later one pending, in order, for the next run.
    """
    report = PublishReport()
    with single_flight(LOCK_NAME) as lease:
        if not lease:
            raise PublishInProgress(retry_after=lease.retry_after)
        while report.sent + report.refused < limit:
            batch = list(
                BusMessage.objects.filter(status=MessageStatus.PENDING).order_by(
                    "created_at", "id"
                )[:50]
            )
            if not batch:
                break
            for message in batch:
                lease.check()
                if not _publish_one(message, report):
                    return report
    return report


def _publish_one(message: BusMessage, report: PublishReport) -> bool:
    now = timezone.now()
    try:
        publisher.publish(
            message_id=str(message.pk),
            schema=message.schema,
            topic=message.topic,
            body=message.body,
            severity=message.severity,
        )
    except publisher.REFUSED as exc:
        error = publisher.scrub(f"{type(exc).__name__}: {exc}")[:2000]
        _mark(message, status=MessageStatus.REFUSED, error=error, now=now)
        logger.error("bus: %s %s refused: %s", message.topic, message.pk, error)
        report.refused += 1
        return True
    except publisher.TRANSIENT as exc:
        error = publisher.scrub(f"{type(exc).__name__}: {exc}")[:2000]
        _mark(message, status=MessageStatus.PENDING, error=error, now=now)
        logger.warning("bus: broker unavailable, %s waits: %s", message.topic, error)
        report.failed, report.error = message, error
        return False
    _mark(message, status=MessageStatus.SENT, error="", now=now)
    report.sent += 1
    return True


def _mark(message: BusMessage, *, status: str, error: str, now: datetime) -> None:
    BusMessage.objects.filter(pk=message.pk).update(
        status=status,
        attempts=F("attempts") + 1,
        last_attempt_at=now,
        last_error=error,
        sent_at=now if status == MessageStatus.SENT else None,
    )


def messages_prune(*, now: datetime | None = None) -> int:
    """Forget sent and refused messages older than BUS_KEEP_DAYS; pending ones are kept."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.BUS_KEEP_DAYS)
    return delete_in_batches(
        BusMessage.objects.exclude(status=MessageStatus.PENDING).filter(created_at__lt=cutoff)
    )


def minutes_announce(*, now: datetime | None = None) -> int:
    """Record the minutes message of every meeting that has ended; each meeting once.

    Meetings that ended more than a week ago are left alone (a bus turned on later does not
    replay history). Decisions about private blockers are not counted.
    """
    if not publisher.enabled():
        return 0
    now = now or timezone.now()
    announced = 0
    candidates = meeting_selectors.meeting_list().filter(
        starts_at__gte=now - MINUTES_LOOKBACK, starts_at__lte=now
    )
    for meeting in candidates.prefetch_related("attendees"):
        ends_at = meeting.ends_at
        if ends_at > now:
            continue
        key = f"minutes:{meeting.pk}"
        if BusMessage.objects.filter(dedupe_key=key).exists():
            continue
        with transaction.atomic():
            recorded = message_record(
                schema="fedimage.meeting.minutes.v1",
                topic="fedimage.meeting.minutes",
                body=_minutes_body(meeting, ends_at),
                dedupe_key=key,
            )
        announced += recorded is not None
    return announced


def _minutes_body(meeting: Meeting, ends_at: datetime) -> dict:
    decisions = len(meeting_selectors.decisions_of(meeting=meeting, user=AnonymousUser()))
    actions = meeting_selectors.action_items_for(meeting=meeting, since=meeting.starts_at)
    own_actions = sum(1 for item in actions if item.meeting_id == meeting.pk)
    return messages.meeting_minutes(
        meeting, ends_at=ends_at, decisions=decisions, action_items=own_actions
    )
