"""Writes and workflows of the initiative domain: the only code that changes its state."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from fedimage.core.permissions import require, require_user
from fedimage.initiative import events
from fedimage.initiative.models import (
    Blocker,
    Category,
    Migration,
    Milestone,
    MilestoneStatus,
    ReviewState,
    Severity,
    Stage,
    Subproject,
)

User = AuthUser | AnonymousUser


def _record_as(instance: models.Model, user: User | None, reason: str = "") -> None:
    """Name who makes the next history record, and why (read by django-simple-history)."""
    instance._history_user = user if user is not None and user.is_authenticated else None  # type: ignore[attr-defined]
    instance._change_reason = reason  # type: ignore[attr-defined]


def save_with_history(
    instance: models.Model,
    *,
    user: User | None,
    reason: str = "",
    m2m: dict[str, Iterable[models.Model]] | None = None,
    created: bool = False,
) -> None:
    """Save a tracked object and its many-to-many links as one history record, not several."""
    _record_as(instance, user, reason)
    if m2m:
        instance.skip_history_when_saving = True  # type: ignore[attr-defined]
        try:
            instance.save()
            for name, values in m2m.items():
                getattr(instance, name).set(list(values))
        finally:
            del instance.skip_history_when_saving  # type: ignore[attr-defined]
    instance.save()
    if created and m2m:
        # The record above was written by an update save; it is the object's first one.
        instance.history.filter(history_id=instance.history.latest().history_id).update(  # type: ignore[attr-defined]
            history_type="+"
        )


def _check_choice(value: str, choices: type[models.Choices], field: str) -> None:
    if value not in choices.values:
        raise ValidationError(
            {field: f"'{value}' is not one of {', '.join(map(str, choices.values))}."}
        )


@transaction.atomic
def blocker_file(
    *,
    reporter: User,
    title: str,
    description: str = "",
    severity: str = Severity.MAJOR,
    category: str = Category.OTHER,
    milestones: Iterable[Milestone] = (),
    subprojects: Iterable[Subproject] = (),
    tracking_url: str = "",
    owner: AuthUser | None = None,
    private: bool = False,
    submission: uuid.UUID | None = None,
) -> Blocker:
    """File a new blocker on behalf of a signed-in stakeholder.

    `submission` is the filing form's one-time token (unique): filing twice with one token
    raises IntegrityError and files nothing (the view shows the blocker filed first).
    """
    member = require_user(reporter, "initiative.file_blocker")
    blocker = Blocker(
        title=title.strip(),
        description=description,
        severity=severity,
        category=category,
        reporter=member,
        owner=owner,
        tracking_url=tracking_url,
        private=private,
        submission=submission,
    )
    blocker.full_clean(validate_unique=False)  # a repeated submission: IntegrityError
    save_with_history(
        blocker,
        user=reporter,
        reason="filed",
        m2m={"milestones": milestones, "subprojects": subprojects},
        created=True,
    )
    events.blocker_filed.send(sender=Blocker, blocker=blocker)
    return blocker


def blocker_file_once(
    *, reporter: User, submission: uuid.UUID, **fields: Any
) -> tuple[Blocker, bool]:
    """File a blocker once per submission token: (it, True); a repeat: (the one filed, False).

    Two at once: the second's insert waits for the first's commit, fails on the unique token
    and finds the first's blocker. A token of someone else's blocker is a ValidationError.
    """
    filed = Blocker.objects.filter(submission=submission).first()
    if filed is None:
        try:
            return blocker_file(reporter=reporter, submission=submission, **fields), True
        except IntegrityError:
            filed = Blocker.objects.filter(submission=submission).first()
            if filed is None:
                raise
    if filed.reporter_id != getattr(reporter, "pk", None):
        raise ValidationError({"submission": "This submission token is someone else's."})
    return filed, False


@transaction.atomic
def blocker_update(*, blocker: Blocker, user: User, **changes: object) -> Blocker:
    """Change a blocker's fields and links; one history record names who changed what."""
    blocker = Blocker.objects.select_for_update().get(pk=blocker.pk)
    require(user, "initiative.edit_blocker", blocker)
    m2m = {name: changes.pop(name) for name in ("milestones", "subprojects") if name in changes}
    old_status, old_severity = blocker.status, blocker.severity
    for name, value in changes.items():
        setattr(blocker, name, value)
    blocker.full_clean()
    save_with_history(blocker, user=user, m2m=m2m)  # type: ignore[arg-type]
    events.blocker_changed.send(
        sender=Blocker,
        blocker=blocker,
        old_status=old_status,
        old_severity=old_severity,
        user=user,
    )
    return blocker


@transaction.atomic
def blocker_set_review_state(*, blocker: Blocker, state: str) -> None:
    """Mark the weekly meeting's verdict on a blocker (lists and counts read it).

    Called by the meeting's review decision (fedimage.meetings.services.review_decide), which
    checks who may decide and records the decision, its votes and reason in the meeting's
    history; the blocker's own history is about its fields, so no history record here.
    """
    _check_choice(state, ReviewState, "state")
    Blocker.objects.filter(pk=blocker.pk).update(review_state=state)
    blocker.review_state = state


@transaction.atomic
def milestone_edit_plan(
    *, milestone: Milestone, user: User, target_date: date | None, owner: str
) -> Milestone:
    """A lead sets a milestone's target date and owner; one history record names who.

    The initiative file still creates milestones; a later reload overwrites these two fields
    only where the file's own value changed (see fedimage.initiative.loader).
    """
    require(user, "initiative.edit_milestone", milestone)
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
    old_target_date, old_owner = milestone.target_date, milestone.owner
    milestone.target_date = target_date
    milestone.owner = ", ".join(n.strip() for n in owner.split(",") if n.strip())
    milestone.full_clean()
    _record_as(milestone, user)
    milestone.save(update_fields=["target_date", "owner"])
    events.milestone_plan_changed.send(
        sender=Milestone,
        milestone=milestone,
        old_target_date=old_target_date,
        old_owner=old_owner,
        user=user,
    )
    return milestone


@transaction.atomic
def milestone_set_status(
    *, milestone: Milestone, user: User, status: str, note: str = ""
) -> Milestone:
    """Set (or re-confirm) a milestone's status; confirming restarts its staleness clock."""
    require(user, "initiative.set_milestone_status", milestone)
    _check_choice(status, MilestoneStatus, "status")
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
    old_status = milestone.status
    milestone.status = status
    milestone.status_note = note.strip()
    milestone.status_confirmed_at = timezone.now()
    _record_as(milestone, user)
    milestone.save(update_fields=["status", "status_note", "status_confirmed_at"])
    events.milestone_status_set.send(
        sender=Milestone, milestone=milestone, old_status=old_status, user=user
    )
    return milestone


@transaction.atomic
def migration_set_stage(
    *, migration: Migration, user: User, stage: int, note: str = "", evidence_url: str = ""
) -> Migration:
    """Record the migration stage a subproject has reached, as confirmed by a lead or owner."""
    require(user, "initiative.set_migration_stage", migration)
    if stage not in Stage.values:
        raise ValidationError({"stage": f"'{stage}' is not a migration stage."})
    migration = Migration.objects.select_for_update().get(pk=migration.pk)
    old_stage = migration.stage
    migration.stage = stage
    migration.note = note.strip()
    migration.evidence_url = evidence_url
    migration.confirmed_at = timezone.now()
    migration.full_clean()
    _record_as(migration, user)
    migration.save(update_fields=["stage", "note", "evidence_url", "confirmed_at"])
    events.migration_stage_set.send(
        sender=Migration, migration=migration, old_stage=old_stage, user=user
    )
    return migration
