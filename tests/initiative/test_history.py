import pytest
from django.contrib.auth.models import AnonymousUser

from fedimage.initiative.history import change_feed
from fedimage.initiative.models import BlockerStatus, Milestone, MilestoneStatus
from fedimage.initiative.services import blocker_file, blocker_update, milestone_set_status

pytestmark = pytest.mark.django_db


def test_feed_says_who_changed_what_from_old_to_new(initiative, lead, member):
    milestone = Milestone.objects.get(key="production-pipeline")
    milestone_set_status(milestone=milestone, user=lead, status=MilestoneStatus.AT_RISK)
    blocker = blocker_file(reporter=member, title="Signing undecided", milestones=[milestone])
    blocker_update(
        blocker=blocker,
        user=lead,
        status=BlockerStatus.IN_PROGRESS,
        severity="critical",
        milestones=[],
    )
    feed = change_feed(user=AnonymousUser())
    assert [(c.model, c.kind, c.who) for c in feed] == [
        ("blocker", "changed", "leader"),
        ("blocker", "created", "stakeholder"),
        ("milestone", "changed", "leader"),
    ]
    fields = {f.label: (f.old, f.new) for f in feed[0].fields}
    assert fields == {
        "Status": ("Open", "In progress"),
        "Severity": ("Major", "Critical"),
        "Milestones": ("Fully supported production pipeline", "—"),
    }
    assert {f.label: (f.old, f.new) for f in feed[2].fields}["Status"] == ("Not started", "At risk")
    assert feed[1].summary == "filed"


def test_feed_leaves_out_what_the_initiative_file_created(initiative):
    assert change_feed(user=AnonymousUser()) == []


def test_feed_hides_private_blockers_from_anonymous_visitors(initiative, member):
    blocker = blocker_file(reporter=member, title="Embargoed issue")
    blocker_update(blocker=blocker, user=member, private=True)
    assert change_feed(user=AnonymousUser()) == []
    assert len(change_feed(user=member)) == 2


def test_confirming_an_unchanged_status_reads_as_a_confirmation(initiative, lead):
    milestone = Milestone.objects.get(key="production-pipeline")
    milestone_set_status(milestone=milestone, user=lead, status=MilestoneStatus.ON_TRACK)
    milestone_set_status(milestone=milestone, user=lead, status=MilestoneStatus.ON_TRACK)
    assert change_feed(user=lead, limit=1)[0].summary == "status confirmed"
