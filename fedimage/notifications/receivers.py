"""What notifications records when the apps below it send their domain events.

Connected in NotificationsConfig.ready(). Each receiver runs inside the sender's transaction
and only writes Event and Notification rows; delivery is queued on commit by event_record.
"""

from __future__ import annotations

from typing import Any

from fedimage.health import events as health_events
from fedimage.initiative import events as initiative_events
from fedimage.initiative.models import Severity
from fedimage.meetings import events as meeting_events
from fedimage.notifications import services


def on_blocker_filed(*, blocker, **kwargs: Any) -> None:
    if blocker.severity == Severity.CRITICAL:
        services.notify_blocker_critical(blocker=blocker)


def on_blocker_changed(*, blocker, old_severity: str, **kwargs: Any) -> None:
    services.notify_blocker_changed(blocker=blocker, old_severity=old_severity)


def on_milestone_status_set(*, milestone, old_status: str, **kwargs: Any) -> None:
    services.notify_milestone_status(milestone=milestone, old_status=old_status)


def on_tag_checked(*, state, was_unhealthy: bool, **kwargs: Any) -> None:
    services.notify_image_health(state=state, was_unhealthy=was_unhealthy)


def on_action_item_due(*, item, today, **kwargs: Any) -> None:
    services.notify_action_item_due(item=item, today=today)


def on_action_item_assigned(*, item, previous_owner, **kwargs: Any) -> None:
    services.notify_action_item_assigned(item=item, previous_owner=previous_owner)


def on_milestone_plan_changed(*, milestone, old_target_date, old_owner: str, **kwargs: Any) -> None:
    services.notify_milestone_plan_changed(
        milestone=milestone, old_target_date=old_target_date, old_owner=old_owner
    )


def connect() -> None:
    """Subscribe to the domain events (idempotent: each receiver is connected once)."""
    for signal, receiver in (
        (initiative_events.blocker_filed, on_blocker_filed),
        (initiative_events.blocker_changed, on_blocker_changed),
        (initiative_events.milestone_status_set, on_milestone_status_set),
        (health_events.tag_checked, on_tag_checked),
        (initiative_events.milestone_plan_changed, on_milestone_plan_changed),
        (meeting_events.action_item_due, on_action_item_due),
        (meeting_events.action_item_assigned, on_action_item_assigned),
    ):
        signal.connect(receiver, dispatch_uid=f"notifications.{receiver.__name__}")
