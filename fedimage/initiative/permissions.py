"""Who may do what: anonymous visitors read, members file blockers, leads steer."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fedimage.initiative.models import Blocker

LEAD_GROUP = "lead"


def is_lead(user) -> bool:
    """Whether the user may change milestones and migration statuses."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    # Cached on the user object so a page asking several times costs one query.
    cached = getattr(user, "_fedimage_is_lead", None)
    if cached is None:
        cached = user.groups.filter(name=LEAD_GROUP).exists()
        user._fedimage_is_lead = cached
    return cached


def can_edit_blocker(user, blocker: Blocker) -> bool:
    if not user.is_authenticated:
        return False
    return is_lead(user) or user.pk in (blocker.reporter_id, blocker.owner_id)


def can_see_private(user) -> bool:
    """Private blockers (embargoed issues) are for signed-in members only."""
    return bool(user.is_authenticated)
