"""Image build health: a watched image tag turned unhealthy, or recovered."""

from __future__ import annotations

from typing import Any

from fedimage_messages.base import NAMES, OPTIONAL_TEXT, TEXT, URL, FedimageMessage, body_schema

STATES = ["pending", "healthy", "stale", "degraded", "missing", "unreachable", "garbage"]
IMAGE = {
    "type": "object",
    "properties": {
        "key": TEXT,
        "name": TEXT,
        "reference": TEXT,
        "tag": TEXT,
        "url": URL,
        "subproject": OPTIONAL_TEXT,
        "owners": NAMES,
        "digest": TEXT,
    },
    "required": ["key", "name", "reference", "tag", "url", "owners"],
}
SCHEMA_PROPERTIES = {
    "image": IMAGE,
    "state": {"type": "string", "enum": STATES},
    "reason": TEXT,
    "unhealthy_since": OPTIONAL_TEXT,
}


class _ImageMessage(FedimageMessage):
    subject_key = "image"

    def people(self) -> list[Any]:
        return [self.subject.get("owners") or []]

    @property
    def containers(self) -> list[str]:
        """The image repositories concerned (a fedora-messaging field viewers show)."""
        ref = self.subject.get("reference")
        return [ref] if ref else []

    @property
    def tag_ref(self) -> str:
        return f"{self.subject.get('reference')}:{self.subject.get('tag')}"

    def details(self) -> list[str]:
        return [
            f"Reason: {self.body.get('reason')}" if self.body.get("reason") else "",
            f"Digest: {self.subject['digest']}" if self.subject.get("digest") else "",
        ]


class ImageUnhealthyV1(_ImageMessage):
    """A watched tag turned stale, degraded or missing (the health check's incident opened)."""

    topic = "fedimage.image.unhealthy"
    body_schema = body_schema("A watched image tag turned unhealthy", SCHEMA_PROPERTIES, ["image"])

    @property
    def summary(self) -> str:
        return f"{self.tag_ref} is {self.body.get('state')}: {self.body.get('reason')}"


class ImageRecoveredV1(_ImageMessage):
    """A watched tag is healthy again (the incident closed)."""

    topic = "fedimage.image.recovered"
    body_schema = body_schema("A watched image tag recovered", SCHEMA_PROPERTIES, ["image"])

    @property
    def summary(self) -> str:
        return f"{self.tag_ref} is healthy again"
