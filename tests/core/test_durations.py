from datetime import timedelta

import pytest

from fedimage.core.durations import duration_words


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(seconds=20), "less than a minute"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(minutes=59, seconds=59), "59 minutes"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(hours=47, minutes=59), "47 hours"),
        (timedelta(hours=48), "2 days"),
        (timedelta(days=20786), "20786 days"),
        (timedelta(seconds=-30), "less than a minute"),
        (90.0, "1 minute"),
        (None, "unknown"),
    ],
)
def test_a_duration_is_said_in_its_largest_sensible_unit(delta, words: str) -> None:
    assert duration_words(delta) == words
