"""The `fedora-messaging consume` callback: a tracker's issue changed, so sync that issue.

    fedora-messaging --conf consumer.toml consume \
        --callback fedimage.bus.consumer:TrackerIssueConsumer

(see README, "The Fedora message bus", for the config file). For each relayed webhook message
about an issue of a source of the initiative file, it does what the webhook endpoint does:
records the delivery (keyed by the message id, so a message delivered twice syncs once) and
queues a sync of that one issue through the task outbox. Other messages are acknowledged and
ignored. If the database is unreachable the message goes back to the queue.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

import django
from fedora_messaging.exceptions import Nack

logger = logging.getLogger(__name__)

# How long to wait before handing a message back when the database is away (no busy loop).
NACK_DELAY = 5.0


class TrackerIssueConsumer:
    """Instantiated once by fedora-messaging, then called with each message."""

    def __init__(self) -> None:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fedimage.settings")
        django.setup()
        # Django must be set up before the apps' modules are imported.
        from fedimage.bus import relay  # noqa: PLC0415

        self._relay = relay

    def __call__(self, message: Any) -> None:
        try:
            outcome = self._relay.issue_message_accept(
                message_id=str(message.id), topic=message.topic, body=message.body
            )
        except self._relay.DATABASE_ERRORS:
            logger.warning("bus consumer: database unavailable; message %s requeued", message.id)
            time.sleep(NACK_DELAY)
            raise Nack() from None
        logger.info("bus consumer: %s %s: %s", message.topic, message.id, outcome)
