"""Who may do what in the initiative: anonymous visitors read, members file blockers, a
blocker's reporter and owner change it, leads steer. Predicates and rules, defined once.
"""

from __future__ import annotations

from typing import Any

import rules

from fedimage.core.permissions import define

LEAD_GROUP = "lead"


@rules.predicate
def is_lead(user: Any) -> bool:
    """A superuser, or a member of the `lead` group (asked once per user object)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_fedimage_is_lead", None)
    if cached is None:
        cached = user.groups.filter(name=LEAD_GROUP).exists()
        user._fedimage_is_lead = cached
    return cached


is_member = rules.is_authenticated


@rules.predicate
def is_reporter(user: Any, blocker: Any) -> bool:
    return blocker is not None and user.is_authenticated and user.pk == blocker.reporter_id


@rules.predicate
def is_blocker_owner(user: Any, blocker: Any) -> bool:
    return blocker is not None and user.is_authenticated and user.pk == blocker.owner_id


@rules.predicate
def is_subproject_owner(user: Any, subproject: Any) -> bool:
    """The user's name is among the subproject's owners (FAS names in Subproject.owners)."""
    return (
        subproject is not None
        and user.is_authenticated
        and user.get_username() in subproject.owner_list
    )


def can_see_private(user: Any) -> bool:
    """Private blockers (embargoed issues) are for signed-in members only."""
    return rules.has_perm("initiative.see_private", user)


define("initiative.see_private", is_member, "Sign in to see private blockers.")
define("initiative.file_blocker", is_member, "Sign in to file a blocker.")
define(
    "initiative.edit_blocker",
    is_lead | is_reporter | is_blocker_owner,
    "Only its reporter, its owner or a lead may change this blocker.",
)
define(
    "initiative.set_milestone_status",
    is_lead,
    "Only initiative leads may change a milestone's status.",
)
define(
    "initiative.set_migration_stage",
    is_lead,
    "Only initiative leads may change a migration status.",
)
