"""A clock the tests set, so history is recorded at chosen moments around the meetings."""

from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest

from fedimage.initiative.services import blocker_file
from fedimage.meetings import services
from fedimage.meetings.models import Meeting

# A Wednesday, the day of the weekly meeting; well after the initiative file was loaded.
T0 = datetime(2030, 11, 13, 16, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


class Clock:
    def __init__(self) -> None:
        self._patch = mock.patch("django.utils.timezone.now", side_effect=lambda: self.now)
        self.now = T0

    def set(self, when: datetime) -> None:
        self.now = when


@pytest.fixture
def clock():
    """django.utils.timezone.now() answers what the test sets (history records, services)."""
    c = Clock()
    with c._patch:
        yield c


@pytest.fixture
def meetings(db, lead):
    """The previous meeting at T0 and this week's at T0 + a week."""
    previous = Meeting.objects.create(starts_at=T0, chair=lead)
    current = Meeting.objects.create(starts_at=T0 + WEEK, chair=lead)
    return previous, current


@pytest.fixture
def held_meeting(initiative, clock, meetings, member, lead):
    """A meeting with a filed blocker voted on and accepted, a decision and action items."""
    previous, meeting = meetings
    clock.set(T0)
    services.action_item_add(meeting=previous, user=lead, owner=lead, text="ping releng")
    clock.set(T0 + 1 * WEEK / 7)
    blocker = blocker_file(reporter=member, title="bootc [upgrade] *fails* on aarch64")
    blocker_file(reporter=member, title="Embargoed signing flaw", private=True)
    clock.set(T0 + WEEK)
    meeting.attendees.set([member, lead])
    services.vote_cast(blocker=blocker, user=member, value=1, comment="every arm board")
    services.vote_cast(blocker=blocker, user=lead, value=1)
    services.review_decide(
        blocker=blocker, meeting=meeting, user=lead, state="accepted", reason="F45 final criterion"
    )
    services.decision_record(meeting=meeting, user=lead, text="Next meeting in two weeks")
    services.action_item_add(
        meeting=meeting,
        user=lead,
        owner=member,
        text="file it upstream",
        due_date=date(2030, 12, 1),
    )
    meeting.notes = "Quiet week."
    meeting.save()
    clock.set(T0 + WEEK + WEEK / 7)
    return meeting, blocker
