"""What the consumer does with a message: find the source and issue, record, queue the sync."""

from __future__ import annotations

from django.db import DatabaseError, InterfaceError

from fedimage.bus.issue_events import issue_event
from trackers.selectors import source_for_project
from trackers.services import Delivery, webhook_accept

DATABASE_ERRORS = (DatabaseError, InterfaceError)


def issue_message_accept(*, message_id: str, topic: str, body: object) -> str:
    """Queue the sync of the issue a relayed message names; say what was done, in words."""
    event = issue_event(topic, body)
    if event is None:
        return "not an issue event"
    source = source_for_project(kind=event.kind, project=event.project, host=event.host)
    if source is None:
        return f"{event.host}/{event.project} is not a tracker of the initiative"
    accepted = webhook_accept(
        source=source,
        delivery=Delivery(
            kind=event.kind,
            delivery_id=f"bus:{message_id}"[:200],
            event=event.event,
            project=event.project,
            number=event.number,
        ),
    )
    if not accepted:
        return f"already seen: {event.project}#{event.number}"
    return f"sync of {event.project}#{event.number} queued ({source.name})"
