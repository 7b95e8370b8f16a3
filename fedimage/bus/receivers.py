"""What the bus records when the apps below it send their domain events.

Connected in BusConfig.ready(). Each receiver runs inside the sender's transaction and only
writes a BusMessage row (services.message_record), which commits or rolls back with the change;
publishing is queued after the commit. Private blockers never go on the bus.
"""

from __future__ import annotations

from typing import Any

from fedora_messaging.message import INFO, WARNING

from fedimage.bus import messages, services
from fedimage.health import events as health_events
from fedimage.initiative import events as initiative_events
from fedimage.initiative.models import Severity
from fedimage.meetings import events as meeting_events


def on_blocker_filed(*, blocker, **kwargs: Any) -> None:
    if blocker.private:
        return
    services.message_record(
        schema="fedimage.blocker.new.v1",
        topic="fedimage.blocker.new",
        body=messages.blocker_new(blocker),
        severity=WARNING if blocker.severity == Severity.CRITICAL else INFO,
    )


def on_blocker_changed(
    *, blocker, old_status: str, old_severity: str, user: Any = None, **kwargs: Any
) -> None:
    if blocker.private:
        return
    critical = blocker.severity == Severity.CRITICAL and old_severity != Severity.CRITICAL
    services.message_record(
        schema="fedimage.blocker.update.v1",
        topic="fedimage.blocker.update",
        body=messages.blocker_update(
            blocker, old_status=old_status, old_severity=old_severity, user=user
        ),
        severity=WARNING if critical else INFO,
    )


def on_blocker_reviewed(*, review, user: Any = None, **kwargs: Any) -> None:
    if review.blocker.private:
        return
    services.message_record(
        schema="fedimage.blocker.review.v1",
        topic="fedimage.blocker.review",
        body=messages.blocker_review(review, user=user),
    )


def on_milestone_status_set(*, milestone, old_status: str, user: Any = None, **kwargs) -> None:
    services.message_record(
        schema="fedimage.milestone.status.v1",
        topic="fedimage.milestone.status",
        body=messages.milestone_status(milestone, old_status=old_status, user=user),
        severity=WARNING if milestone.status in ("at_risk", "blocked", "slipped") else INFO,
    )


def on_migration_stage_set(*, migration, old_stage: int, user: Any = None, **kwargs) -> None:
    services.message_record(
        schema="fedimage.migration.stage.v1",
        topic="fedimage.migration.stage",
        body=messages.migration_stage(migration, old_stage=old_stage, user=user),
    )


def on_tag_checked(*, state, was_unhealthy: bool, **kwargs: Any) -> None:
    """An incident opened (the tag turned stale, degraded or missing) or closed (healthy)."""
    is_unhealthy = state.unhealthy_since is not None
    if is_unhealthy == was_unhealthy:
        return
    kind = "unhealthy" if is_unhealthy else "recovered"
    services.message_record(
        schema=f"fedimage.image.{kind}.v1",
        topic=f"fedimage.image.{kind}",
        body=messages.image_health(state),
        severity=WARNING if is_unhealthy else INFO,
    )


def connect() -> None:
    """Subscribe to the domain events (idempotent: each receiver is connected once)."""
    for signal, receiver in (
        (initiative_events.blocker_filed, on_blocker_filed),
        (initiative_events.blocker_changed, on_blocker_changed),
        (initiative_events.milestone_status_set, on_milestone_status_set),
        (initiative_events.migration_stage_set, on_migration_stage_set),
        (meeting_events.blocker_reviewed, on_blocker_reviewed),
        (health_events.tag_checked, on_tag_checked),
    ):
        signal.connect(receiver, dispatch_uid=f"bus.{receiver.__name__}")
