"""A clock the tests set, so history is recorded at chosen moments around the meetings."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest

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
