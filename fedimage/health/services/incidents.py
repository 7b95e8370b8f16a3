"""Incidents: a tag unhealthy past its grace period opens a blocker; recovery resolves it.

Blockers are filed and updated through the initiative's services, under the health check's own
account, so they carry history like any other blocker.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User

from fedimage.core import users
from fedimage.health.models import INCIDENT_STATES, HealthState, TagState, WatchedImage
from fedimage.initiative.models import Blocker, BlockerStatus, Category, Severity
from fedimage.initiative.services import blocker_file, blocker_update

SYSTEM_USERNAME = "health-check"


def system_user() -> User:
    """Return the account blockers opened by the health check are filed under."""
    return users.system_user(username=SYSTEM_USERNAME, first_name="Health", last_name="check")


def blocker_due(*, image: WatchedImage, state: TagState, now: datetime) -> bool:
    """Tell whether the tag's incident blocker must be opened or resolved now."""
    if state.state == HealthState.HEALTHY:
        return state.blocker_id is not None
    return (
        state.state in INCIDENT_STATES
        and state.blocker_id is None
        and state.unhealthy_since is not None
        and now - state.unhealthy_since >= image.grace
    )


def incident_blocker_sync(*, image: WatchedImage, state: TagState, now: datetime) -> None:
    """Open a blocker when an incident outlasts the grace period; resolve it on recovery."""
    if not blocker_due(image=image, state=state, now=now):
        return
    if state.state != HealthState.HEALTHY:
        state.blocker = _file_incident_blocker(image, state)
        return
    blocker = state.blocker
    if blocker is not None and not blocker.is_closed:
        note = (
            f"\n\n**Resolved by the health check** on {now:%Y-%m-%d %H:%M} UTC: "
            f"{image.reference}:{state.tag} is healthy again ({state.reason})."
        )
        blocker_update(
            blocker=blocker,
            user=system_user(),
            status=BlockerStatus.RESOLVED,
            description=blocker.description + note,
        )
    state.blocker = None


def _file_incident_blocker(image: WatchedImage, state: TagState) -> Blocker:
    ref = f"{image.reference}:{state.tag}"
    label = HealthState(state.state).label.lower()
    description = (
        f"The health check finds **{ref}** {label} since "
        f"{state.unhealthy_since:%Y-%m-%d %H:%M} UTC: {state.reason}.\n\n"
        f"Opened automatically after the grace period of {image.grace_hours} hours; it is "
        "resolved automatically when the tag is healthy again."
    )
    return blocker_file(
        reporter=system_user(),
        title=f"{ref} is {label}"[:200],
        description=description,
        severity=Severity.MAJOR if state.state != HealthState.MISSING else Severity.CRITICAL,
        category=Category.INFRASTRUCTURE,
        milestones=[image.milestone] if image.milestone is not None else [],
        subprojects=[image.subproject] if image.subproject is not None else [],
        tracking_url="",
    )
