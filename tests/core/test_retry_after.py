from datetime import UTC, datetime

import pytest

from fedimage.core.retry_after import parse_retry_after

NOW = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("Fri, 01 May 2026 12:02:00 GMT", 120.0),
        ("Fri, 01 May 2026 11:00:00 GMT", 0.0),
    ],
)
def test_seconds_and_http_dates_become_seconds_to_wait(value: str, seconds: float) -> None:
    assert parse_retry_after(value, now=NOW) == seconds


@pytest.mark.parametrize("value", [None, "", "  ", "soon", "-5", "inf", "nan-ish", "Fri, 99 Foo"])
def test_absent_or_unreadable_values_are_none(value: str | None) -> None:
    assert parse_retry_after(value, now=NOW) is None
