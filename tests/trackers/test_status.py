"""A source's listing status in words, glyph and colour (from its own fields, no query)."""

from datetime import UTC, datetime, timedelta

import pytest

from trackers.models import TrackerSource
from trackers.status import STATES, source_status

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def source(**fields) -> TrackerSource:
    return TrackerSource(name="bootc", kind="github", project="bootc-dev/bootc", **fields)


@pytest.mark.parametrize(
    ("fields", "state", "text"),
    [
        ({}, "never", "No listing has completed yet"),
        ({"last_success_at": NOW - timedelta(minutes=4)}, "ok", "Last listing 4 minutes ago"),
        (
            {"listing": {"position": {"after": None}, "page": 4, "pages_total": 10}},
            "resuming",
            "Resuming at page 5 of 10",
        ),
        (
            {
                "failing_since": NOW - timedelta(minutes=58),
                "last_success_at": NOW - 3 * timedelta(hours=1),
            },
            "failing",
            "Listing failing since 09:02",
        ),
        (
            {
                "failing_since": NOW - timedelta(minutes=58),
                "paused_until": NOW + timedelta(minutes=40),
                "listing": {"position": {"read_upto": 36}, "page": 12, "pages_total": 100},
            },
            "paused",
            "Listing failing since 09:02, paused until 10:40 (in 40 minutes), resuming at page "
            "13 of 100",
        ),
        (
            {"paused_until": NOW - timedelta(minutes=1), "last_success_at": NOW},
            "ok",
            "Last listing less than a minute ago",
        ),
        ({"enabled": False}, "disabled", "No listing has completed yet"),
    ],
    ids=["never", "ok", "resuming", "failing", "paused", "pause-over", "disabled"],
)
def test_the_status_says_where_the_listings_stand(fields, state, text, settings):
    settings.TIME_ZONE = "UTC"

    status = source_status(source(**fields), now=NOW)

    assert (status.state, status.text) == (state, text)
    assert (status.label, status.glyph, status.css) == STATES[state]


def test_a_page_count_below_the_resume_page_is_not_said():
    status = source_status(source(listing={"position": {"k": 1}, "page": 9, "pages_total": 3}))

    assert status.text == "Resuming at page 10"
