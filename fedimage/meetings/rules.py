"""Who may do what in meetings: leads run them, members attend and vote, an action item's
owner closes it. Rules defined once, with their messages."""

from __future__ import annotations

from typing import Any

import rules

from fedimage.core.permissions import define
from fedimage.initiative.rules import is_blocker_owner, is_lead, is_member, is_reporter


@rules.predicate
def is_action_item_owner(user: Any, item: Any) -> bool:
    return item is not None and user.is_authenticated and user.pk == item.owner_id


define("meetings.schedule", is_lead, "Only initiative leads may schedule meetings.")
define("meetings.run", is_lead, "Only initiative leads may run meetings.")
define("meetings.record_decision", is_lead, "Only initiative leads may record decisions.")
define("meetings.assign_action_item", is_lead, "Only initiative leads may assign action items.")
define("meetings.decide_review", is_lead, "Only initiative leads may decide blocker reviews.")
define("meetings.attend", is_member, "Sign in to join the meeting.")
define("meetings.vote", is_member, "Sign in to vote.")
define(
    "meetings.justify",
    is_lead | is_reporter | is_blocker_owner,
    "Only its reporter, its owner or a lead may justify this blocker.",
)
define(
    "meetings.set_action_item_status",
    is_lead | is_action_item_owner,
    "Only its owner or a lead may change an action item.",
)
