"""The weekly meeting: its minutes, once it has ended."""

from __future__ import annotations

from typing import Any

from fedimage_messages.base import NAMES, OPTIONAL_TEXT, TEXT, URL, FedimageMessage, body_schema


class MeetingMinutesV1(FedimageMessage):
    """A weekly meeting ended; where to read its minutes, and what it decided in numbers."""

    topic = "fedimage.meeting.minutes"
    subject_key = "meeting"
    body_schema = body_schema(
        "The minutes of a weekly meeting of the Fedora Image Mode initiative",
        {
            "meeting": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "title": TEXT,
                    "url": URL,
                    "starts_at": TEXT,
                    "ends_at": TEXT,
                    "chair": OPTIONAL_TEXT,
                    "attendees": NAMES,
                    "minutes": {
                        "type": "object",
                        "properties": {"text": URL, "matrix": URL, "discourse": URL},
                        "required": ["text"],
                    },
                    "decisions": {"type": "integer", "minimum": 0},
                    "action_items": {"type": "integer", "minimum": 0},
                },
                "required": ["id", "title", "url", "starts_at", "minutes"],
            },
        },
        ["meeting"],
    )

    def people(self) -> list[Any]:
        return [self.subject.get("chair"), self.subject.get("attendees") or []]

    @property
    def summary(self) -> str:
        m = self.subject
        return (
            f"Minutes of {m.get('title')} ({str(m.get('starts_at', ''))[:10]}): "
            f"{m.get('decisions', 0)} decisions, {m.get('action_items', 0)} action items"
        )

    def details(self) -> list[str]:
        m = self.subject
        minutes = m.get("minutes") or {}
        return [
            f"Chair: {m.get('chair') or 'nobody'}; {len(m.get('attendees') or [])} attended",
            f"Minutes: {minutes.get('text')}",
        ]
