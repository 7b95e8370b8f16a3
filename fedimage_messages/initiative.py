"""The plan: milestone statuses and subprojects' migration stages, as leads record them."""

from __future__ import annotations

from typing import Any

from fedimage_messages.base import NAMES, OPTIONAL_TEXT, TEXT, URL, FedimageMessage, body_schema

STATUSES = ["not_started", "on_track", "at_risk", "blocked", "done", "slipped"]
STAGES = ["own-base", "development", "beta", "production"]


class MilestoneStatusV1(FedimageMessage):
    """A lead set (or re-confirmed) a milestone's status."""

    topic = "fedimage.milestone.status"
    subject_key = "milestone"
    body_schema = body_schema(
        "A milestone's status was set",
        {
            "milestone": {
                "type": "object",
                "properties": {
                    "key": TEXT,
                    "title": TEXT,
                    "url": URL,
                    "release": TEXT,
                    "target_date": OPTIONAL_TEXT,
                    "owner": TEXT,
                    "status": {"type": "string", "enum": STATUSES},
                    "note": TEXT,
                },
                "required": ["key", "title", "url", "release", "status"],
            },
            "old_status": {"type": "string", "enum": STATUSES},
        },
        ["milestone", "old_status"],
    )

    def people(self) -> list[Any]:
        owners = str(self.subject.get("owner") or "").replace(",", " ").split()
        return [owners]

    @property
    def summary(self) -> str:
        m = self.subject
        old, new = self.body.get("old_status", ""), m.get("status", "")
        words = (
            f"confirmed {new.replace('_', ' ')}"
            if old == new
            else f"{old.replace('_', ' ')} \u2192 {new.replace('_', ' ')}"
        )
        return f"Milestone \u201c{m.get('title')}\u201d ({m.get('release')}): {words}"

    def details(self) -> list[str]:
        m = self.subject
        return [
            f"Set by {self.agent_name or 'fedimage'}; target date {m.get('target_date') or 'none'}",
            f"Note: {m['note']}" if m.get("note") else "",
        ]


class MigrationStageV1(FedimageMessage):
    """A lead recorded the migration stage a subproject reached."""

    topic = "fedimage.migration.stage"
    subject_key = "subproject"
    body_schema = body_schema(
        "A subproject's migration stage was recorded",
        {
            "subproject": {
                "type": "object",
                "properties": {"key": TEXT, "name": TEXT, "url": URL, "owners": NAMES},
                "required": ["key", "name", "url", "owners"],
            },
            "stage": {
                "type": "object",
                "properties": {
                    "old": {"type": "string", "enum": STAGES},
                    "new": {"type": "string", "enum": STAGES},
                    "label": TEXT,
                },
                "required": ["old", "new", "label"],
            },
            "note": TEXT,
            "evidence_url": TEXT,
        },
        ["subproject", "stage"],
    )

    def people(self) -> list[Any]:
        return [self.subject.get("owners") or []]

    @property
    def summary(self) -> str:
        stage = self.body.get("stage") or {}
        name = self.subject.get("name")
        if stage.get("old") == stage.get("new"):
            return f"{name}: migration stage confirmed at {stage.get('new')}"
        return f"{name}: migration stage {stage.get('old')} \u2192 {stage.get('new')}"

    def details(self) -> list[str]:
        return [
            str((self.body.get("stage") or {}).get("label", "")),
            f"Recorded by {self.agent_name or 'fedimage'}",
            f"Note: {self.body['note']}" if self.body.get("note") else "",
            f"Evidence: {self.body['evidence_url']}" if self.body.get("evidence_url") else "",
        ]
