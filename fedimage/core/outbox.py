"""The task outbox: a request that changes data never fails because the broker is down.

`enqueue()` writes the task to send as a row in the caller's transaction, so the task exists
exactly when the change committed: a rolled-back change sends nothing, a committed one is never
lost. After the commit the row is sent at once (and deleted); if the broker is unreachable the
request still succeeds, the row stays, and `relay()` (the `core.relay_outbox` task, which beat
sends every `OUTBOX_RELAY_INTERVAL_SECONDS` and at start-up) sends it when the broker is back.

Sending and deleting happen in one transaction holding the row (`SELECT ... FOR UPDATE SKIP
LOCKED`), so the after-commit send and a relay never both send a row. A row whose send
succeeded but whose deletion could not commit (the database went away in between) is sent
again later: tasks are idempotent, so that is a duplicate message, never a duplicate effect.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from functools import partial
from typing import Any

from celery import current_app
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from fedimage.core.models import OutboxMessage

logger = logging.getLogger(__name__)


def enqueue(
    task: Any, *, args: Sequence[Any] = (), kwargs: dict[str, Any] | None = None
) -> OutboxMessage:
    """Record `task(*args, **kwargs)` to be sent once the current transaction commits.

    `task` is a Celery task or its name; arguments must be JSON (ids, not objects).
    """
    name = task if isinstance(task, str) else task.name
    message = OutboxMessage.objects.create(task=name, args=list(args), kwargs=kwargs or {})
    transaction.on_commit(partial(_send_committed, message.pk))
    return message


def _send_committed(pk: int) -> None:
    try:
        send(pk)
    except Exception:
        # Never the caller's problem: the change is committed and the row waits for the relay.
        logger.warning("outbox: could not send message %s after commit", pk, exc_info=True)


def send(pk: int) -> bool:
    """Send one row now and delete it; False if it is gone or another sender holds it."""
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
        if message is None:
            return False
        return _publish(message)


def relay(*, limit: int = 500) -> int:
    """Send pending rows, oldest first, until the broker fails or `limit`; return how many."""
    sent = 0
    while sent < limit:
        with transaction.atomic():
            batch = list(
                OutboxMessage.objects.select_for_update(skip_locked=True).order_by(
                    "created_at", "id"
                )[: min(100, limit - sent)]
            )
            if not batch:
                break
            for message in batch:
                if not _publish(message):
                    return sent
                sent += 1
    return sent


def pending_count() -> int:
    return OutboxMessage.objects.count()


def oldest_pending_age() -> timedelta | None:
    oldest = OutboxMessage.objects.order_by("created_at").values_list("created_at", flat=True)
    first = oldest.first()
    return None if first is None else timezone.now() - first


def _publish(message: OutboxMessage) -> bool:
    """Publish inside the caller's transaction; delete on success, note the error otherwise."""
    try:
        current_app.send_task(message.task, args=message.args, kwargs=message.kwargs)
    except Exception as exc:  # the broker's errors are many (kombu, redis, socket)
        OutboxMessage.objects.filter(pk=message.pk).update(
            attempts=F("attempts") + 1,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            last_attempt_at=timezone.now(),
        )
        logger.warning("outbox: broker unavailable, %s waits for the relay: %s", message, exc)
        return False
    message.delete()
    return True
