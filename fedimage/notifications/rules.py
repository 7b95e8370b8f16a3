"""Who may subscribe what: members their own e-mail, leads Matrix rooms. Rules defined once."""

from __future__ import annotations

from typing import Any

import rules

from fedimage.core.permissions import define
from fedimage.initiative.rules import is_lead, is_member
from fedimage.notifications.models import Channel


@rules.predicate
def is_own_email_subscription(user: Any, subscription: Any) -> bool:
    return (
        subscription is not None
        and user.is_authenticated
        and subscription.channel == Channel.EMAIL
        and subscription.user_id == user.pk
    )


define("notifications.subscribe_email", is_member, "Sign in to subscribe.")
define("notifications.subscribe_room", is_lead, "Only initiative leads may subscribe Matrix rooms.")
define(
    "notifications.delete_subscription",
    is_lead | is_own_email_subscription,
    "You may not remove this subscription.",
)
