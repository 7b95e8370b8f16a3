"""Who may do what in the initiative, in one place (predicates and rules, defined once).

- Anonymous visitors read (private blockers excepted).
- Members (anyone signed in) file blockers.
- A blocker's reporter and its owner change it.
- A subproject's owners (the FAS names in the initiative file's `owners`) record their own
  subproject's migration stage and change the blockers linked to it.
- Leads (the `lead` group: FEDORA_LEAD_GROUPS / FEDORA_LEAD_USERS at each Fedora sign-in, or
  `manage.py createlead`) steer everything, without Django staff status; superusers are leads.

Every predicate reads the user's groups and names from the database once per request (cached
on the request's user object), so a role given or taken away applies from the next request.
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
    """The user's name is among the subproject's owners (FAS names in Subproject.owners).

    With Fedora sign-in an account's name is its FAS nickname, and a FAS name never takes over
    a local account of the same name (see fedimage.accounts.pipeline), so the name is the FAS
    identity. FAS names are case-insensitive.
    """
    if subproject is None or not user.is_authenticated:
        return False
    name = user.get_username().lower()
    return any(owner.lower() == name for owner in subproject.owner_list)


@rules.predicate
def owns_migration_subproject(user: Any, migration: Any) -> bool:
    """The user owns the subproject whose migration this is."""
    return migration is not None and is_subproject_owner(user, migration.subproject)


@rules.predicate
def owns_a_blocker_subproject(user: Any, blocker: Any) -> bool:
    """The user owns one of the subprojects the blocker is linked to (prefetched by lists)."""
    if blocker is None or not user.is_authenticated or blocker.pk is None:
        return False
    return any(is_subproject_owner(user, sp) for sp in blocker.subprojects.all())


def can_see_private(user: Any) -> bool:
    """Private blockers (embargoed issues) are for signed-in members only."""
    return rules.has_perm("initiative.see_private", user)


define("initiative.see_private", is_member, "Sign in to see private blockers.")
define("initiative.file_blocker", is_member, "Sign in to file a blocker.")
define(
    "initiative.edit_blocker",
    is_lead | is_reporter | is_blocker_owner | owns_a_blocker_subproject,
    "Only its reporter, its owner, an owner of a subproject it blocks or a lead may change "
    "this blocker.",
)
define(
    "initiative.set_milestone_status",
    is_lead,
    "Only initiative leads may change a milestone's status.",
)
define(
    "initiative.set_migration_stage",
    is_lead | owns_migration_subproject,
    "Only the subproject's owners or an initiative lead may change its migration stage.",
)
define(
    "initiative.edit_milestone",
    is_lead,
    "Only initiative leads may change a milestone's target date or owner.",
)
