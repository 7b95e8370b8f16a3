"""Reports read meetings too: the meeting fixtures are shared from tests/meetings."""

from tests.meetings.conftest import clock, held_meeting, meetings  # noqa: F401
