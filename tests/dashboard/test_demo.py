"""`make demo`: sample data on every page, marked as such, idempotent, removable in one command
without touching real data."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command

from fedimage.core import samples
from fedimage.core.models import SampleRecord
from fedimage.health import selectors as health_selectors
from fedimage.health.models import HealthState, Sample, StateChange, TagState, WatchedImage
from fedimage.initiative.models import Blocker, Migration, Milestone
from fedimage.initiative.services import blocker_file
from fedimage.meetings.models import ActionItem, BlockerReview, Decision, Meeting, Vote
from trackers.models import SyncRun, TrackedIssue, TrackerSource

pytestmark = pytest.mark.django_db

BANNER = "seed_demo --remove"


def counts() -> dict[str, int]:
    models = (User, Blocker, TrackerSource, TrackedIssue, SyncRun, WatchedImage, TagState,
              Sample, StateChange, Meeting, Decision, ActionItem, BlockerReview, Vote)  # fmt: skip
    return {model.__name__: model.objects.count() for model in models}


def milestone_state() -> dict[str, tuple]:
    return {
        m.key: (m.status, m.status_note, m.status_confirmed_at) for m in Milestone.objects.all()
    }


def test_seed_is_idempotent_marked_on_pages_and_removed_in_one_command(
    initiative, client, lead, django_capture_on_commit_callbacks
):
    real = blocker_file(reporter=lead, title="A real blocker filed before the demo")
    before_counts, before_milestones = counts(), milestone_state()
    before_stages = dict(Migration.objects.values_list("subproject__key", "stage"))

    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--password", "demo")
    seeded = counts()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")

    assert counts() == seeded  # again: nothing added twice
    assert seeded["TrackedIssue"] >= 10
    assert seeded["Sample"] >= 300
    assert seeded["Meeting"] == 1
    assert samples.present()
    states = dict(
        TagState.objects.filter(image__key="sample-fedora-bootc").values_list("tag", "state")
    )
    assert states == {"44": HealthState.HEALTHY, "45": HealthState.DEGRADED, "rawhide": "stale"}
    assert StateChange.objects.filter(tag__image__key="sample-fedora-bootc").count() == 2
    meeting = Meeting.objects.get()
    assert meeting.decisions.count() == 3  # two review verdicts and one decision
    assert meeting.action_items.count() == 3
    assert BlockerReview.objects.filter(decided_at_meeting=meeting).count() == 2
    # Polls never ask for the sample image; reloading the file leaves it active.
    assert "sample-fedora-bootc" not in {i.key for i in health_selectors.active_images()}
    call_command("load_initiative")
    assert WatchedImage.objects.get(key="sample-fedora-bootc").active
    for url in ("/", "/health/", "/trackers/", "/meetings/", f"/meetings/{meeting.pk}/"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert BANNER in page.content.decode(), url
    assert "logically bound images" in client.get("/trackers/issues/").content.decode()
    board = client.get("/trackers/boards/sample-tracker/").content.decode()
    assert "Konflux release race" in board
    assert "Doing" in board

    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--remove")

    assert counts() == {**before_counts, "User": before_counts["User"]}
    assert SampleRecord.objects.count() == 0
    assert not samples.present()
    assert BANNER not in client.get("/").content.decode()
    assert Blocker.objects.filter(pk=real.pk).exists()
    assert milestone_state() == before_milestones
    assert dict(Migration.objects.values_list("subproject__key", "stage")) == before_stages
    assert not Blocker.history.filter(history_change_reason="demo").exists()
    assert not Milestone.history.filter(history_change_reason="demo").exists()
    assert set(Blocker.history.values_list("id", flat=True)) == {real.pk}


def test_seed_demo_sets_the_password_even_for_existing_demo_users(initiative):
    call_command("seed_demo")
    call_command("seed_demo", "--password", "demo")
    assert authenticate(username="demo-lead", password="demo") is not None
