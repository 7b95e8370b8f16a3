"""Leads change a milestone's target date and owner on its page; the file still creates it."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from fedimage.core.initiative_file import load_initiative_file
from fedimage.initiative.history import change_feed
from fedimage.initiative.models import Milestone
from fedimage.initiative.services import milestone_edit_plan
from tests.initiative.test_loader import MINIMAL, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def pipeline(tmp_path):
    load_initiative_file(write(tmp_path, MINIMAL))
    return Milestone.objects.get(key="pipeline")


def test_a_lead_edits_the_date_and_owner_on_the_page_recorded_in_history_and_the_calendar(
    pipeline, lead_client, client
):
    url = pipeline.get_absolute_url()
    page = lead_client.get(url).content.decode()
    assert "Change the target date or owner" in page
    response = lead_client.post(
        f"{url}plan/", {"target_date": "2026-04-02", "owner": "jdoe , asmith"}, follow=True
    )
    assert "Target date and owner of “A clean development pipeline” saved." in (
        response.content.decode()
    )
    pipeline.refresh_from_db()
    assert (pipeline.target_date, pipeline.owner) == (date(2026, 4, 2), "jdoe, asmith")
    [change] = change_feed(user=None, limit=1, milestones=[pipeline.pk])
    assert (change.who, change.summary) == ("leader", "changed target date, owner")
    assert [(f.old, f.new) for f in change.fields] == [
        ("2026-03-10", "2026-04-02"),
        ("—", "jdoe, asmith"),
    ]
    assert "DTSTART;VALUE=DATE:20260402" in client.get("/feeds/calendar.ics").content.decode()


def test_members_may_not_edit_and_bad_dates_change_nothing(pipeline, member, member_client, lead):
    url = f"{pipeline.get_absolute_url()}plan/"
    assert member_client.post(url, {"target_date": "2026-04-02", "owner": ""}).status_code == 403
    with pytest.raises(PermissionDenied):
        milestone_edit_plan(milestone=pipeline, user=member, target_date=None, owner="")
    member_client.force_login(lead)
    response = member_client.post(url, {"target_date": "3026-04-02", "owner": "x"}, follow=True)
    assert "between the years 2000 and 2100" in response.content.decode()
    pipeline.refresh_from_db()
    assert (pipeline.target_date, pipeline.owner) == (date(2026, 3, 10), "")


def test_a_reload_keeps_an_edited_date_unless_the_file_changed_it(pipeline, tmp_path, lead):
    milestone_edit_plan(milestone=pipeline, user=lead, target_date=date(2026, 4, 2), owner="jdoe")
    # The same file again: the lead's date and owner stand, and nothing is recorded.
    before = pipeline.history.count()
    report = load_initiative_file(write(tmp_path, MINIMAL))
    pipeline.refresh_from_db()
    assert (pipeline.target_date, pipeline.owner) == (date(2026, 4, 2), "jdoe")
    assert report.updated == {}
    assert pipeline.history.count() == before
    # The file moves the date: its new value wins; the owner it did not change stays.
    moved = MINIMAL.replace("target_date = 2026-03-10", "target_date = 2026-05-01")
    load_initiative_file(write(tmp_path, moved))
    pipeline.refresh_from_db()
    assert (pipeline.target_date, pipeline.owner) == (date(2026, 5, 1), "jdoe")
    [change] = change_feed(user=None, limit=1, milestones=[pipeline.pk])
    assert change.summary == "initiative file: target date changed in"


def test_a_reload_with_changed_tracker_labels_says_so_not_status_confirmed(pipeline, tmp_path):
    labelled = MINIMAL.replace(
        "target_date = 2026-03-10", 'target_date = 2026-03-10\ntracker_labels = ["f44"]'
    )
    load_initiative_file(write(tmp_path, labelled))
    [change] = change_feed(user=None, limit=1, milestones=[pipeline.pk])
    assert change.summary == "initiative file: tracker labels changed in"
    assert [(f.label, f.old, f.new) for f in change.fields] == [("Tracker labels", "—", "f44")]
    assert change_feed(user=None, milestones=[pipeline.pk], origin="people") == []
