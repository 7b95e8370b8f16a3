"""Blockers: filed, changed, decided in a meeting."""

from __future__ import annotations

from typing import Any, ClassVar

from fedimage_messages.base import NAMES, OPTIONAL_TEXT, TEXT, URL, FedimageMessage, body_schema

BLOCKER = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "title": TEXT,
        "url": URL,
        "severity": {"type": "string", "enum": ["critical", "major", "minor"]},
        "status": TEXT,
        "category": TEXT,
        "reporter": OPTIONAL_TEXT,
        "owner": OPTIONAL_TEXT,
        "milestones": NAMES,
        "subprojects": NAMES,
        "tracking_url": TEXT,
    },
    "required": ["id", "title", "url", "severity", "status", "reporter", "owner"],
}
CHANGE = {
    "type": "object",
    "properties": {"old": TEXT, "new": TEXT},
    "required": ["old", "new"],
}


class _BlockerMessage(FedimageMessage):
    subject_key = "blocker"

    @property
    def blocker(self) -> dict[str, Any]:
        return self.subject

    def people(self) -> list[Any]:
        return [self.blocker.get("reporter"), self.blocker.get("owner")]

    @property
    def ref(self) -> str:
        return f"blocker #{self.blocker.get('id')} \u201c{self.blocker.get('title')}\u201d"

    def details(self) -> list[str]:
        b = self.blocker
        lines = [
            f"Severity: {b.get('severity')}; status: {b.get('status')}; "
            f"category: {b.get('category') or 'other'}",
            f"Reported by {b.get('reporter') or 'nobody'}; owner: {b.get('owner') or 'nobody'}",
        ]
        if b.get("milestones"):
            lines.append("Milestones: " + ", ".join(b["milestones"]))
        if b.get("subprojects"):
            lines.append("Subprojects: " + ", ".join(b["subprojects"]))
        if b.get("tracking_url"):
            lines.append(f"Tracked upstream: {b['tracking_url']}")
        return lines


class BlockerNewV1(_BlockerMessage):
    """A stakeholder (or the health check) filed a blocker."""

    topic = "fedimage.blocker.new"
    body_schema = body_schema(
        "A blocker of the Fedora Image Mode initiative was filed", {"blocker": BLOCKER}, ["blocker"]
    )

    @property
    def summary(self) -> str:
        who = self.agent_name or "fedimage"
        return f"{who} filed {self.blocker.get('severity')} {self.ref}"


class BlockerUpdateV1(_BlockerMessage):
    """A blocker changed; `changes` names the status and severity moves, if any."""

    topic = "fedimage.blocker.update"
    body_schema = body_schema(
        "A blocker of the Fedora Image Mode initiative changed",
        {
            "blocker": BLOCKER,
            "changes": {
                "type": "object",
                "properties": {"status": CHANGE, "severity": CHANGE},
                "additionalProperties": False,
            },
        },
        ["blocker", "changes"],
    )

    @property
    def summary(self) -> str:
        who = self.agent_name or "fedimage"
        changes = self.body.get("changes") or {}
        moves = [f"{name} {c['old']} \u2192 {c['new']}" for name, c in sorted(changes.items())]
        return f"{who} changed {self.ref}" + (f": {', '.join(moves)}" if moves else "")


class BlockerReviewV1(_BlockerMessage):
    """The weekly meeting decided whether a proposed blocker blocks."""

    topic = "fedimage.blocker.review"
    body_schema = body_schema(
        "The weekly meeting decided on a blocker",
        {
            "blocker": BLOCKER,
            "review": {
                "type": "object",
                "properties": {
                    "decision": {"type": "string", "enum": ["accepted", "rejected", "needs_info"]},
                    "reason": TEXT,
                    "meeting": {
                        "type": "object",
                        "properties": {"id": {"type": "integer"}, "title": TEXT, "url": URL},
                        "required": ["id", "title", "url"],
                    },
                },
                "required": ["decision", "reason", "meeting"],
            },
        },
        ["blocker", "review"],
    )

    WORDS: ClassVar[dict[str, str]] = {
        "accepted": "accepted as a blocker",
        "rejected": "rejected as a blocker",
        "needs_info": "needs more information",
    }

    @property
    def summary(self) -> str:
        review = self.body.get("review") or {}
        decision = str(review.get("decision", ""))
        decision = self.WORDS.get(decision, decision)
        return f"The weekly meeting decided: {self.ref} {decision}"

    def details(self) -> list[str]:
        review = self.body.get("review") or {}
        meeting = review.get("meeting") or {}
        return [
            f"Reason: {review.get('reason')}",
            f"Decided at {meeting.get('title')} ({meeting.get('url')})",
            *super().details(),
        ]
