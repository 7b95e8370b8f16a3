"""Message bodies built from the domain objects, in the shapes fedimage_messages validates.

Pure functions of the objects handed over by the domain events: they read what the event's
transaction already holds and never touch the network.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.urls import reverse

from fedimage.health.models import HealthState, TagState
from fedimage.initiative.models import Blocker, Migration, Milestone, Stage
from fedimage.meetings.models import BlockerReview, Meeting

STAGE_KEYS = {
    Stage.OWN_BASE: "own-base",
    Stage.DEVELOPMENT: "development",
    Stage.BETA: "beta",
    Stage.PRODUCTION: "production",
}


def absolute(path: str) -> str:
    """A page's absolute URL on the dashboard (NOTIFICATIONS_SITE_URL, as in notifications)."""
    return settings.NOTIFICATIONS_SITE_URL.rstrip("/") + path


def _username(user: Any) -> str | None:
    return user.get_username() if user is not None and user.is_authenticated else None


def _common(agent: Any) -> dict[str, Any]:
    return {"agent": _username(agent), "groups": list(settings.BUS_GROUPS)}


def blocker_fields(blocker: Blocker) -> dict[str, Any]:
    return {
        "id": blocker.pk,
        "title": blocker.title,
        "url": absolute(blocker.get_absolute_url()),
        "severity": blocker.severity,
        "status": blocker.status,
        "category": blocker.category,
        "reporter": _username(blocker.reporter),
        "owner": _username(blocker.owner),
        "milestones": sorted(m.key for m in blocker.milestones.all()),
        "subprojects": sorted(s.key for s in blocker.subprojects.all()),
        "tracking_url": blocker.tracking_url,
    }


def blocker_new(blocker: Blocker) -> dict[str, Any]:
    return {**_common(blocker.reporter), "blocker": blocker_fields(blocker)}


def blocker_update(
    blocker: Blocker, *, old_status: str, old_severity: str, user: Any
) -> dict[str, Any]:
    changes = {}
    if old_status != blocker.status:
        changes["status"] = {"old": old_status, "new": blocker.status}
    if old_severity != blocker.severity:
        changes["severity"] = {"old": old_severity, "new": blocker.severity}
    return {**_common(user), "blocker": blocker_fields(blocker), "changes": changes}


def blocker_review(review: BlockerReview, *, user: Any) -> dict[str, Any]:
    meeting = review.decided_at_meeting  # set by the decision that sends the event
    return {
        **_common(user),
        "blocker": blocker_fields(review.blocker),
        "review": {
            "decision": review.state,
            "reason": review.decision_reason,
            "meeting": {
                "id": meeting.pk,
                "title": meeting.title,
                "url": absolute(meeting.get_absolute_url()),
            }
            if meeting is not None
            else None,
        },
    }


def milestone_status(milestone: Milestone, *, old_status: str, user: Any) -> dict[str, Any]:
    return {
        **_common(user),
        "milestone": {
            "key": milestone.key,
            "title": milestone.title,
            "url": absolute(milestone.get_absolute_url()),
            "release": milestone.release.name,
            "target_date": milestone.target_date.isoformat() if milestone.target_date else None,
            "owner": milestone.owner,
            "status": milestone.status,
            "note": milestone.status_note,
        },
        "old_status": old_status,
    }


def migration_stage(migration: Migration, *, old_stage: int, user: Any) -> dict[str, Any]:
    subproject = migration.subproject
    return {
        **_common(user),
        "subproject": {
            "key": subproject.key,
            "name": subproject.name,
            "url": absolute(subproject.get_absolute_url()),
            "owners": subproject.owner_list,
        },
        "stage": {
            "old": STAGE_KEYS[Stage(old_stage)],
            "new": STAGE_KEYS[Stage(migration.stage)],
            "label": Stage(migration.stage).label,
        },
        "note": migration.note,
        "evidence_url": migration.evidence_url,
    }


def image_health(state: TagState) -> dict[str, Any]:
    image = state.image
    subproject = image.subproject
    since = state.unhealthy_since
    return {
        **_common(None),
        "image": {
            "key": image.key,
            "name": image.name,
            "reference": image.reference,
            "tag": state.tag,
            "url": absolute(state.get_absolute_url()),
            "subproject": subproject.key if subproject else None,
            "owners": subproject.owner_list if subproject else [],
            "digest": state.digest if state.state != HealthState.MISSING else "",
        },
        "state": state.state,
        "reason": state.reason,
        "unhealthy_since": since.isoformat() if since else None,
    }


def meeting_minutes(
    meeting: Meeting, *, ends_at: datetime, decisions: int, action_items: int
) -> dict[str, Any]:
    def minutes(fmt: str) -> str:
        return absolute(reverse("meetings:minutes", kwargs={"pk": meeting.pk, "fmt": fmt}))

    return {
        **_common(None),
        "meeting": {
            "id": meeting.pk,
            "title": meeting.title,
            "url": absolute(meeting.get_absolute_url()),
            "starts_at": meeting.starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
            "chair": _username(meeting.chair),
            "attendees": sorted(u.get_username() for u in meeting.attendees.all()),
            "minutes": {f: minutes(f) for f in ("text", "matrix", "discourse")},
            "decisions": decisions,
            "action_items": action_items,
        },
    }
