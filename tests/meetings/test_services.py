"""Votes, review decisions, action items and who may do what."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from fedimage.initiative.models import Blocker, BlockerStatus
from fedimage.initiative.services import blocker_file, blocker_update
from fedimage.meetings import selectors, services
from fedimage.meetings.models import ActionStatus, Decision, Meeting, ReviewState, Vote
from tests.meetings.conftest import T0, WEEK

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)


@pytest.fixture
def blocker(initiative, member):
    return blocker_file(reporter=member, title="Installer cannot find the base image")


def test_one_vote_per_person_per_blocker_and_voting_again_changes_it(blocker, member, lead):
    _, created = services.vote_cast(blocker=blocker, user=member, value=1, comment="yes")
    assert created
    vote, created = services.vote_cast(blocker=blocker, user=member, value=-1, comment="not now")
    assert not created
    services.vote_cast(blocker=blocker, user=lead, value=0)

    assert Vote.objects.count() == 2
    assert (vote.value, vote.comment) == (-1, "not now")
    tally = selectors.review_tally(blocker=blocker)
    assert (tally.plus, tally.zero, tally.minus) == (0, 1, 1)


def test_anonymous_visitors_cannot_vote_and_votes_are_plus_zero_or_minus_one(blocker, member):
    with pytest.raises(PermissionDenied):
        services.vote_cast(blocker=blocker, user=AnonymousUser(), value=1)
    with pytest.raises(ValidationError):
        services.vote_cast(blocker=blocker, user=member, value=2)
    assert Vote.objects.count() == 0


def test_tally_names_the_attendees_who_have_not_voted(
    blocker, meetings, member, lead, other_member
):
    _, meeting = meetings
    meeting.attendees.set([member, lead, other_member])
    services.vote_cast(blocker=blocker, user=member, value=1)

    [tally] = selectors.reviews_for_meeting(meeting=meeting, user=lead)

    assert [v.voter for v in tally.votes] == [member]
    assert [u.username for u in tally.not_voted] == ["bystander", "leader"]

    # Nobody recorded as present: a vote is no attendee's, and nobody is missing either.
    meeting.attendees.clear()
    [tally] = selectors.reviews_for_meeting(meeting=meeting, user=lead)
    assert ([v.voter for v in tally.votes], tally.not_voted) == ([member], [])


def test_meetings_are_scheduled_between_the_years_2000_and_2100(lead):
    for year in (1, 1999, 2101, 9999):
        with pytest.raises(ValidationError) as caught:
            services.meeting_schedule(user=lead, starts_at=T0.replace(year=year))
        assert caught.value.message_dict == {
            "starts_at": ["Schedule the meeting between the years 2000 and 2100."]
        }
    assert not Meeting.objects.exists()
    services.meeting_schedule(user=lead, starts_at=T0.replace(year=2100, month=12, day=31))


def test_votes_close_once_the_meeting_accepts_or_rejects_a_blocker(blocker, meetings, member, lead):
    _, meeting = meetings
    services.vote_cast(blocker=blocker, user=member, value=1)
    services.review_decide(
        blocker=blocker, meeting=meeting, user=lead, state="needs_info", reason="which arches?"
    )
    services.vote_cast(blocker=blocker, user=member, value=0)  # still open: more to learn
    for state in ("accepted", "rejected"):
        services.review_decide(
            blocker=blocker, meeting=meeting, user=lead, state=state, reason="decided"
        )
        with pytest.raises(ValidationError, match="voting on it is closed"):
            services.vote_cast(blocker=blocker, user=member, value=-1)
        with pytest.raises(ValidationError):
            services.vote_cast(blocker=blocker, user=lead, value=1)
    assert [(v.voter, v.value) for v in Vote.objects.all()] == [(member, 0)]


def test_a_held_meetings_review_keeps_what_it_decided_and_leaves_out_later_blockers(
    initiative, clock, meetings, member, lead
):
    _, meeting = meetings
    clock.set(T0 + DAY)
    decided = blocker_file(reporter=member, title="Decided at this meeting")
    blocker_file(reporter=member, title="Still waiting")
    clock.set(meeting.starts_at + timedelta(minutes=10))
    services.vote_cast(blocker=decided, user=member, value=1)
    services.review_decide(
        blocker=decided, meeting=meeting, user=lead, state="accepted", reason="blocks F45"
    )
    clock.set(meeting.ends_at + DAY)
    late = blocker_file(reporter=member, title="Filed after the meeting")
    # created_at's default was bound before the clock was patched: date it by hand.
    Blocker.objects.filter(pk=late.pk).update(created_at=meeting.ends_at + DAY)
    later = services.meeting_schedule(user=lead, starts_at=T0 + 2 * WEEK)
    services.review_decide(
        blocker=decided,
        meeting=later,
        user=lead,
        state="rejected",
        reason="fixed upstream",
        no_vote_reason="voting on it closed when it was accepted",
    )

    def titles(m):
        return [t.blocker.title for t in selectors.reviews_for_meeting(meeting=m, user=lead)]

    assert titles(meeting) == ["Decided at this meeting", "Still waiting"]
    assert titles(later) == ["Decided at this meeting", "Still waiting", "Filed after the meeting"]


def test_a_lead_decides_a_review_with_a_reason_recorded_as_a_decision_of_the_meeting(
    blocker, meetings, lead, member
):
    _, meeting = meetings
    services.vote_cast(blocker=blocker, user=member, value=1)
    review = services.review_decide(
        blocker=blocker, meeting=meeting, user=lead, state="accepted", reason="breaks F45 beta"
    )

    assert review.state == ReviewState.ACCEPTED
    assert review.decided_at_meeting == meeting
    [decision] = Decision.objects.filter(meeting=meeting)
    assert decision.blocker == blocker
    assert "accepted as a blocker (breaks F45 beta; votes +1: 1, 0: 0, -1: 0)" in decision.text
    blocker.refresh_from_db()
    assert blocker.review_state == ReviewState.ACCEPTED
    # Still listed at the meeting that decided it, but not at the next one.
    assert [t.blocker for t in selectors.reviews_for_meeting(meeting=meeting, user=lead)] == [
        blocker
    ]
    later = services.meeting_schedule(user=lead, starts_at=T0 + 2 * WEEK)
    assert selectors.reviews_for_meeting(meeting=later, user=lead) == []


def test_needs_more_information_brings_the_blocker_back_next_time(blocker, meetings, lead):
    _, meeting = meetings
    services.review_decide(
        blocker=blocker, meeting=meeting, user=lead, state="needs_info", reason="which arches?"
    )
    later = services.meeting_schedule(user=lead, starts_at=T0 + 2 * WEEK)
    [tally] = selectors.reviews_for_meeting(meeting=later, user=lead)
    assert tally.state == ReviewState.NEEDS_INFO


def test_members_cannot_decide_and_a_decision_needs_a_reason(blocker, meetings, member, lead):
    _, meeting = meetings
    with pytest.raises(PermissionDenied):
        services.review_decide(
            blocker=blocker, meeting=meeting, user=member, state="accepted", reason="me"
        )
    with pytest.raises(ValidationError):
        services.review_decide(
            blocker=blocker, meeting=meeting, user=lead, state="accepted", reason=" "
        )
    with pytest.raises(ValidationError):
        services.review_decide(
            blocker=blocker, meeting=meeting, user=lead, state="proposed", reason="x"
        )
    assert Decision.objects.count() == 0


def test_closed_blockers_leave_the_review_queue(blocker, meetings, lead):
    _, meeting = meetings
    blocker_update(blocker=blocker, user=lead, status=BlockerStatus.RESOLVED)
    assert selectors.reviews_for_meeting(meeting=meeting, user=lead) == []


def test_only_reporter_owner_or_lead_justify_a_blocker(blocker, member, other_member):
    review = services.review_justify(blocker=blocker, user=member, justification=" Blocks F45. ")
    assert review.justification == "Blocks F45."
    with pytest.raises(PermissionDenied):
        services.review_justify(blocker=blocker, user=other_member, justification="no")


def test_open_action_items_carry_over_until_closed(initiative, clock, meetings, lead, member):
    previous, current = meetings
    older = Meeting.objects.create(starts_at=T0 - WEEK)
    clock.set(T0 - WEEK)
    done_long_ago = services.action_item_add(meeting=older, user=lead, owner=member, text="x")
    clock.set(T0 - DAY)  # closed before the previous meeting: not carried any more
    services.action_item_set_status(item=done_long_ago, user=member, status=ActionStatus.DONE)
    clock.set(T0)
    carried = services.action_item_add(
        meeting=previous, user=lead, owner=member, text="ask Konflux", due_date=date(2030, 11, 20)
    )
    clock.set(T0 + WEEK)
    new = services.action_item_add(meeting=current, user=lead, owner=lead, text="write minutes")

    items = selectors.action_items_for(meeting=current, since=T0)
    assert [(i, i.carried) for i in items] == [(carried, True), (new, False)]

    clock.set(T0 + WEEK + DAY)
    services.action_item_set_status(item=carried, user=member, status=ActionStatus.DONE)
    later = services.meeting_schedule(user=lead, starts_at=T0 + 2 * WEEK)
    # Closed since the previous meeting: the next meeting sees it done, then never again.
    items = selectors.action_items_for(meeting=later, since=T0 + WEEK)
    assert [(i.text, i.status, i.carried) for i in items] == [
        ("ask Konflux", "done", True),
        ("write minutes", "open", True),
    ]
    final = services.meeting_schedule(user=lead, starts_at=T0 + 3 * WEEK)
    assert selectors.action_items_for(meeting=final, since=later.starts_at) == [new]


def test_only_a_lead_or_the_owner_changes_an_action_item(meetings, lead, member, other_member):
    previous, _ = meetings
    item = services.action_item_add(meeting=previous, user=lead, owner=member, text="x")
    with pytest.raises(PermissionDenied):
        services.action_item_set_status(item=item, user=other_member, status=ActionStatus.DONE)
    with pytest.raises(PermissionDenied):
        services.action_item_add(meeting=previous, user=member, owner=member, text="y")


def test_accepting_or_rejecting_needs_a_vote_or_a_reason_to_decide_without_one(
    blocker, meetings, lead, member
):
    _, meeting = meetings
    for state in ("accepted", "rejected"):
        with pytest.raises(ValidationError) as caught:
            services.review_decide(
                blocker=blocker, meeting=meeting, user=lead, state=state, reason="obvious"
            )
        assert caught.value.message_dict == {
            "no_vote_reason": [
                f"Nobody has voted on #{blocker.pk}: vote first, or say why the meeting "
                "decides without a vote."
            ]
        }
    assert Decision.objects.count() == 0
    blocker.refresh_from_db()
    assert blocker.review_state == ReviewState.PROPOSED
    # Asking for more information is no verdict: no vote needed.
    services.review_decide(
        blocker=blocker, meeting=meeting, user=lead, state="needs_info", reason="which arches?"
    )
    review = services.review_decide(
        blocker=blocker,
        meeting=meeting,
        user=lead,
        state="rejected",
        reason="a duplicate of #1",
        no_vote_reason="the reporter withdrew it",
    )
    assert review.state == ReviewState.REJECTED
    assert Decision.objects.last().text.endswith(
        "rejected as a blocker (a duplicate of #1; no vote: the reporter withdrew it)"
    )
