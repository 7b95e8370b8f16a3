"""Everything a meeting decides is history: /changes/, the blocker's history, the next agenda."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser

from fedimage.initiative.models import BlockerStatus
from fedimage.initiative.services import blocker_file, blocker_update
from fedimage.meetings import services
from fedimage.meetings.agenda import agenda_for
from fedimage.meetings.selectors import meeting_changes, reviews_for_meeting
from tests.accounts.factories import UserFactory
from tests.meetings.conftest import T0, WEEK
from tests.meetings.test_views import count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided(initiative, clock, meetings, member, lead, other_member):
    """At the meeting of T0: votes, a rejection, a decision, an action item reassigned and done."""
    previous, current = meetings
    clock.set(T0 - timedelta(days=1))
    blocker = blocker_file(reporter=member, title="Composefs breaks on s390x")
    clock.set(T0 + timedelta(minutes=5))
    services.vote_cast(blocker=blocker, user=member, value=1, comment="every boot")
    services.vote_cast(blocker=blocker, user=member, value=-1, comment="not ours")
    services.vote_cast(blocker=blocker, user=lead, value=-1)
    services.review_decide(
        blocker=blocker, meeting=previous, user=lead, state="rejected", reason="an s390x port bug"
    )
    services.decision_record(meeting=previous, user=lead, text="Meet again next week")
    item = services.action_item_add(
        meeting=previous, user=lead, owner=member, text="ask the s390x team"
    )
    services.action_item_reassign(item=item, user=lead, owner=other_member)
    services.action_item_set_status(item=item, user=other_member, status="done")
    clock.set(T0 + timedelta(days=2))
    return previous, current, blocker


def test_votes_reviews_decisions_and_action_items_are_in_the_change_feed(decided, lead):
    _, _, blocker = decided
    lines = [
        f"{c.who} {c.summary} {c.object_label}: {c.detail}" for c in meeting_changes(user=lead)
    ]
    assert lines == [
        "bystander marked done an action item of the meeting of 2030-11-13: "
        "bystander to ask the s390x team",
        "leader reassigned an action item (stakeholder → bystander) of the meeting of "
        "2030-11-13: ask the s390x team",
        "leader gave stakeholder an action item at the meeting of 2030-11-13: ask the s390x team",
        "leader recorded a decision of the meeting of 2030-11-13: Meet again next week",
        "leader decided at the meeting of 2030-11-13 on "
        f"#{blocker.pk} Composefs breaks on s390x: rejected as a blocker "
        "(an s390x port bug; votes +1: 0, 0: 0, -1: 2)",
        f"leader voted -1 on #{blocker.pk} Composefs breaks on s390x: ",
        f"stakeholder changed their vote to -1 on #{blocker.pk} Composefs breaks on s390x: "
        "not ours",
        f"stakeholder voted +1 on #{blocker.pk} Composefs breaks on s390x: every boot",
    ]


def test_the_changes_page_and_the_blocker_history_show_them(decided, client):
    _, _, blocker = decided
    page = client.get("/changes/?since=2030-11-01").content.decode()
    assert "reassigned an action item (stakeholder → bystander)" in page
    assert "voted +1 on" in page
    history = client.get(blocker.get_absolute_url()).content.decode()
    assert "changed their vote to -1 on" in history
    assert "rejected as a blocker (an s390x port bug" in history
    assert "Meet again next week" not in history  # not about this blocker


def test_the_next_meetings_agenda_lists_what_the_last_one_decided(decided, lead):
    _, current, blocker = decided
    agenda = agenda_for(current, user=lead)
    words = [item.words for item in agenda.meeting_log]
    assert words[0] == "stakeholder voted +1: every boot"
    assert words[3].startswith("leader decided at the meeting of 2030-11-13: rejected as a blocker")
    assert agenda.meeting_log[3].label == f"#{blocker.pk} Composefs breaks on s390x"
    # A meeting's own agenda leaves out what its page shows already: its decisions, its action
    # items, and the votes in its review's tallies.
    previous = current.decisions.model.objects.get(text="Meet again next week").meeting
    assert meeting_changes(user=lead, agenda_of=previous) == []
    assert "bystander marked done an action item: bystander to ask the s390x team" in words


def test_private_blockers_votes_stay_private(initiative, clock, meetings, member, lead):
    blocker = blocker_file(reporter=member, title="Embargoed signing flaw", private=True)
    services.vote_cast(blocker=blocker, user=member, value=1)
    assert meeting_changes(user=AnonymousUser()) == []
    assert len(meeting_changes(user=member)) == 1


def test_the_agenda_lists_status_changes_of_blockers(initiative, clock, meetings, member, lead):
    _, current = meetings
    clock.set(T0 - 2 * WEEK)
    blocker = blocker_file(reporter=member, title="Installer loops")
    clock.set(T0 + timedelta(days=1))
    blocker_update(blocker=blocker, user=lead, status=BlockerStatus.IN_PROGRESS)
    agenda = agenda_for(current, user=lead, now=T0 + 2 * WEEK)
    assert [(i.label, i.words) for i in agenda.blockers_status] == [
        (f"#{blocker.pk} Installer loops", "Status: Open → In progress")
    ]


def test_a_meeting_after_a_future_meeting_has_an_empty_window_not_an_inverted_one(
    initiative, lead, client
):
    soon = services.meeting_schedule(user=lead, starts_at=T0 + WEEK)
    later = services.meeting_schedule(user=lead, starts_at=T0 + 2 * WEEK)
    agenda = agenda_for(later, user=lead, now=T0)
    assert agenda.since == agenda.until == soon.starts_at
    assert agenda.waits_for_previous
    assert agenda.is_empty
    page = client.get(later.get_absolute_url()).content.decode()
    assert "still to come: what changes after it is this meeting's news" in page
    assert "Changes from" not in page


def test_a_backlog_is_proposed_most_severe_and_oldest_first_and_the_rest_deferred(
    initiative, clock, meetings, member, lead, lead_client
):
    _, current = meetings
    filed = []
    for i, severity in enumerate(["minor", "critical", "major", "critical", "minor"]):
        clock.set(T0 - timedelta(days=10 - i))
        filed.append(blocker_file(reporter=member, title=f"Backlog {i}", severity=severity))
    order = [t.blocker.title for t in reviews_for_meeting(meeting=current, user=lead)]
    assert order == ["Backlog 1", "Backlog 3", "Backlog 2", "Backlog 0", "Backlog 4"]

    clock.set(current.starts_at + timedelta(minutes=1))
    response = lead_client.post(
        f"/meetings/{current.pk}/reviews/defer/", {"keep": "2"}, follow=True
    )
    assert "3 left to the next meeting." in response.content.decode()
    assert [t.blocker.title for t in reviews_for_meeting(meeting=current, user=lead)] == [
        "Backlog 1",
        "Backlog 3",
    ]
    later = services.meeting_schedule(user=lead, starts_at=T0 + 2 * WEEK)
    assert [t.blocker.title for t in reviews_for_meeting(meeting=later, user=lead)] == order
    [decision] = current.decisions.all()
    assert decision.text == (
        f"Review of 3 blockers deferred to the next meeting: "
        f"#{filed[2].pk}, #{filed[0].pk}, #{filed[4].pk}"
    )


def test_the_blocker_page_costs_the_same_however_many_votes_it_has(
    initiative, meetings, member, lead_client
):
    blocker = blocker_file(reporter=member, title="Voted on a lot")

    def grow(n):
        for _ in range(n):
            services.vote_cast(blocker=blocker, user=UserFactory(), value=1, comment="yes")

    grow(2)
    small = count_queries(lead_client, blocker.get_absolute_url())
    grow(8)
    assert count_queries(lead_client, blocker.get_absolute_url()) == small
