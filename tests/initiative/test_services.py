from datetime import date, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fedimage.core.initiative_file import load_initiative_file
from fedimage.initiative.history import change_feed
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
    milestone_edit_plan,
    milestone_set_status,
)
from tests.initiative.test_loader import MINIMAL, write

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


# Leads change a milestone's target date and owner on its page; the file still creates it.


@pytest.fixture
def planned(tmp_path):
    load_initiative_file(write(tmp_path, MINIMAL))
    return Milestone.objects.get(key="pipeline")


def test_a_lead_edits_the_date_and_owner_on_the_page_recorded_in_history_and_the_calendar(
    planned, lead_client, client
):
    url = planned.get_absolute_url()
    page = lead_client.get(url).content.decode()
    assert "Change the target date or owner" in page
    response = lead_client.post(
        f"{url}plan/", {"target_date": "2026-04-02", "owner": "jdoe , asmith"}, follow=True
    )
    assert "Target date and owner of “A clean development pipeline” saved." in (
        response.content.decode()
    )
    planned.refresh_from_db()
    assert (planned.target_date, planned.owner) == (date(2026, 4, 2), "jdoe, asmith")
    [change] = change_feed(user=None, limit=1, milestones=[planned.pk])
    assert (change.who, change.summary) == ("leader", "changed target date, owner")
    assert [(f.old, f.new) for f in change.fields] == [
        ("2026-03-10", "2026-04-02"),
        ("—", "jdoe, asmith"),
    ]
    assert "DTSTART;VALUE=DATE:20260402" in client.get("/feeds/calendar.ics").content.decode()


def test_members_may_not_edit_and_bad_dates_change_nothing(planned, member, member_client, lead):
    url = f"{planned.get_absolute_url()}plan/"
    assert member_client.post(url, {"target_date": "2026-04-02", "owner": ""}).status_code == 403
    with pytest.raises(PermissionDenied):
        milestone_edit_plan(milestone=planned, user=member, target_date=None, owner="")
    member_client.force_login(lead)
    response = member_client.post(url, {"target_date": "3026-04-02", "owner": "x"}, follow=True)
    assert "between the years 2000 and 2100" in response.content.decode()
    planned.refresh_from_db()
    assert (planned.target_date, planned.owner) == (date(2026, 3, 10), "")


def test_a_reload_keeps_an_edited_date_unless_the_file_changed_it(planned, tmp_path, lead):
    milestone_edit_plan(milestone=planned, user=lead, target_date=date(2026, 4, 2), owner="jdoe")
    # The same file again: the lead's date and owner stand, and nothing is recorded.
    before = planned.history.count()
    report = load_initiative_file(write(tmp_path, MINIMAL))
    planned.refresh_from_db()
    assert (planned.target_date, planned.owner) == (date(2026, 4, 2), "jdoe")
    assert report.updated == {}
    assert planned.history.count() == before
    # The file moves the date: its new value wins; the owner it did not change stays.
    moved = MINIMAL.replace("target_date = 2026-03-10", "target_date = 2026-05-01")
    load_initiative_file(write(tmp_path, moved))
    planned.refresh_from_db()
    assert (planned.target_date, planned.owner) == (date(2026, 5, 1), "jdoe")
    [change] = change_feed(user=None, limit=1, milestones=[planned.pk])
    assert change.summary == "initiative file: target date changed in"


def test_a_reload_with_changed_tracker_labels_says_so_not_status_confirmed(planned, tmp_path):
    labelled = MINIMAL.replace(
        "target_date = 2026-03-10", 'target_date = 2026-03-10\ntracker_labels = ["f44"]'
    )
    load_initiative_file(write(tmp_path, labelled))
    [change] = change_feed(user=None, limit=1, milestones=[planned.pk])
    assert change.summary == "initiative file: tracker labels changed in"
    assert [(f.label, f.old, f.new) for f in change.fields] == [("Tracker labels", "—", "f44")]
    assert change_feed(user=None, milestones=[planned.pk], origin="people") == []
