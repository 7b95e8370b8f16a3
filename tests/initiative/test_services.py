from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fedimage.initiative.models import (
    Blocker,
    BlockerStatus,
    Migration,
    Milestone,
    MilestoneStatus,
    Severity,
    Stage,
    Subproject,
)
from fedimage.initiative.services import (
    blocker_file,
    blocker_update,
    migration_set_stage,
    milestone_set_status,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def pipeline(initiative):
    return Milestone.objects.get(key="clean-dev-pipeline")


def file_one(member, pipeline, **extra):
    return blocker_file(
        reporter=member,
        title="Konflux release race",
        severity=Severity.CRITICAL,
        milestones=[pipeline],
        subprojects=Subproject.objects.filter(key="base-images"),
        **extra,
    )


def test_filing_a_blocker_writes_one_history_record_with_its_links(member, pipeline):
    blocker = file_one(member, pipeline)
    records = list(blocker.history.all())
    assert len(records) == 1
    assert records[0].history_type == "+"
    assert records[0].history_user == member
    assert [m.milestone_id for m in records[0].historicalblocker_milestones_set.all()] == [
        pipeline.pk
    ]
    assert blocker.status == BlockerStatus.OPEN


def test_anonymous_visitors_cannot_file_blockers(pipeline):
    with pytest.raises(PermissionDenied):
        blocker_file(reporter=AnonymousUser(), title="Something broke")
    assert Blocker.objects.count() == 0


def test_invalid_blocker_is_rejected_and_nothing_is_written(member, pipeline):
    with pytest.raises(ValidationError) as excinfo:
        blocker_file(
            reporter=member, title="Valid title", severity="apocalyptic", milestones=[pipeline]
        )
    assert "severity" in excinfo.value.message_dict
    assert Blocker.objects.count() == 0
    assert Blocker.history.count() == 0


def test_updating_a_blocker_records_one_change_with_old_and_new(member, pipeline):
    blocker = file_one(member, pipeline)
    other = Milestone.objects.get(key="production-pipeline")
    blocker_update(
        blocker=blocker, user=member, status=BlockerStatus.RESOLVED, milestones=[pipeline, other]
    )
    latest, previous = blocker.history.all()[:2]
    assert latest.history_type == "~"
    assert (previous.status, latest.status) == ("open", "resolved")
    assert {m.milestone_id for m in latest.historicalblocker_milestones_set.all()} == {
        pipeline.pk,
        other.pk,
    }
    assert blocker.history.count() == 2
    assert Blocker.objects.get().closed_at is not None


def test_reopening_clears_the_closed_time(member, pipeline):
    blocker = file_one(member, pipeline)
    blocker_update(blocker=blocker, user=member, status=BlockerStatus.RESOLVED)
    blocker_update(blocker=blocker, user=member, status=BlockerStatus.OPEN)
    assert Blocker.objects.get().closed_at is None


def test_only_reporter_owner_or_lead_may_change_a_blocker(member, other_member, lead, pipeline):
    blocker = file_one(member, pipeline)
    with pytest.raises(PermissionDenied):
        blocker_update(blocker=blocker, user=other_member, status=BlockerStatus.WONT_FIX)
    blocker_update(blocker=blocker, user=lead, owner=other_member)
    blocker_update(blocker=blocker, user=other_member, status=BlockerStatus.IN_PROGRESS)
    assert Blocker.objects.get().status == BlockerStatus.IN_PROGRESS


def test_milestone_status_needs_the_lead_role(member, lead, pipeline):
    with pytest.raises(PermissionDenied):
        milestone_set_status(milestone=pipeline, user=member, status=MilestoneStatus.DONE)
    milestone_set_status(
        milestone=pipeline, user=lead, status=MilestoneStatus.AT_RISK, note="Konflux race"
    )
    pipeline.refresh_from_db()
    assert pipeline.status == MilestoneStatus.AT_RISK
    assert pipeline.status_note == "Konflux race"
    assert pipeline.history.latest().history_user == lead


def test_unknown_milestone_status_is_rejected(lead, pipeline):
    with pytest.raises(ValidationError):
        milestone_set_status(milestone=pipeline, user=lead, status="fine")
    pipeline.refresh_from_db()
    assert pipeline.status == MilestoneStatus.NOT_STARTED


def test_confirming_a_status_makes_it_fresh_again(lead, pipeline):
    assert pipeline.status_is_stale  # never confirmed
    milestone_set_status(milestone=pipeline, user=lead, status=MilestoneStatus.ON_TRACK)
    pipeline.refresh_from_db()
    assert not pipeline.status_is_stale
    pipeline.status_confirmed_at = timezone.now() - timedelta(days=15)
    assert pipeline.status_is_stale
    pipeline.status = MilestoneStatus.DONE
    assert not pipeline.status_is_stale


def test_migration_stage_needs_the_lead_role_and_a_real_stage(member, lead, initiative):
    migration = Migration.objects.get(subproject__key="iot")
    with pytest.raises(PermissionDenied):
        migration_set_stage(migration=migration, user=member, stage=Stage.BETA)
    with pytest.raises(ValidationError):
        migration_set_stage(migration=migration, user=lead, stage=9)
    migration_set_stage(
        migration=migration, user=lead, stage=Stage.BETA, evidence_url="https://example.org/b"
    )
    migration.refresh_from_db()
    assert migration.stage == Stage.BETA
    assert migration.history.latest().prev_record.stage == Stage.DEVELOPMENT
