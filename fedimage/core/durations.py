"""The one way fedimage says a length of time in words: "40 minutes", "5 hours", "3 days"."""

from __future__ import annotations

from datetime import timedelta


def duration_words(delta: timedelta | float | None) -> str:
    """Say a duration (a timedelta or seconds) the way people do, in its largest sensible unit.

    Under an hour in minutes, under two days in hours, then in days; always rounded down, so
    "2 days" is never said of 47 hours. Negative durations count as zero.
    """
    if delta is None:
        return "unknown"
    seconds = int(delta.total_seconds() if isinstance(delta, timedelta) else delta)
    seconds = max(0, seconds)
    if seconds < 60:
        return "less than a minute"
    if seconds < 3600:
        return _count(seconds // 60, "minute")
    if seconds < 48 * 3600:
        return _count(seconds // 3600, "hour")
    return _count(seconds // 86400, "day")


def _count(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"
