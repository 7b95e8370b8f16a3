"""The one parser of the HTTP `Retry-After` header (RFC 9110, section 10.2.3)."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Return the seconds a `Retry-After` value asks to wait, or None when absent or unreadable.

    The header is either a number of seconds or an HTTP date; a date in the past means now (0).
    Fractional seconds, which some servers send although the RFC does not, are accepted.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if seconds >= 0 and seconds != float("inf") else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # HTTP dates are always GMT
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())
