"""One mapping per state: every value has its words, glyph and colour, the same everywhere."""

import pytest

from fedimage.initiative.looks import (
    BLOCKER_STATUS,
    MILESTONE_STATUS,
    SEVERITY,
    look,
)
from fedimage.initiative.models import BlockerStatus, MilestoneStatus, Severity


@pytest.mark.parametrize(
    ("looks", "choices"),
    [(MILESTONE_STATUS, MilestoneStatus), (BLOCKER_STATUS, BlockerStatus), (SEVERITY, Severity)],
)
def test_every_state_has_its_words_a_glyph_and_a_colour(looks, choices):
    assert set(looks) == set(choices.values)
    for value, shown in looks.items():
        assert shown.label == choices(value).label
        assert shown.glyph
        assert shown.colour in {"green", "blue", "amber", "red", "grey"}


def test_an_unknown_value_is_shown_in_its_own_words_in_grey():
    shown = look("milestone", "postponed")

    assert (shown.label, shown.css_class, shown.colour) == ("postponed", "", "grey")


@pytest.mark.django_db
def test_the_page_and_the_report_give_a_milestone_status_the_same_colour(client, initiative):
    page = client.get("/releases/f44/").content.decode()
    report = client.get("/meetings/reports/releases/f44/").content.decode()

    badge = f'class="badge {MILESTONE_STATUS["not_started"].css_class}"'
    assert badge in page
    assert badge in report
