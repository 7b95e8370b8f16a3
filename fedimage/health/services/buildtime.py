"""When an image was built: config.created when it is believable, else what its labels say.

Reproducible builds set `created` to the epoch (SOURCE_DATE_EPOCH=0) and some tools leave Go's zero
time or nothing at all; such images still carry their real build time in the
`org.opencontainers.image.created` label, or at least a date in their version label
("44.20260501.0"). The source is kept with the time, so pages and reasons can say which was used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fedimage.health.clients.oci import parse_timestamp
from fedimage.health.models import BuildTimeSource

# Nothing was built as a container image before this; earlier times are placeholders.
EARLIEST_PLAUSIBLE = datetime(2010, 1, 1, tzinfo=UTC)
# Clocks of build machines run a little ahead at times; a day ahead is a wrong clock.
FUTURE_TOLERANCE = timedelta(days=1)
_DATE_IN_VERSION = re.compile(r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})(?!\d)")


@dataclass(frozen=True)
class BuildTime:
    at: datetime | None
    source: BuildTimeSource
    # Why config.created was not used, in words ("config.created is missing"); "" when it was.
    note: str = ""


def plausible(moment: datetime | None, *, now: datetime) -> bool:
    return moment is not None and EARLIEST_PLAUSIBLE <= moment <= now + FUTURE_TOLERANCE


def choose_build_time(
    *,
    created: datetime | None,
    created_text: str | None,
    label_created: str | None,
    version: str | None,
    now: datetime,
) -> BuildTime:
    """Return the build time of one image config and where it came from."""
    if plausible(created, now=now):
        return BuildTime(created, BuildTimeSource.CONFIG)
    if not created_text:
        note = "config.created is missing"
    elif created is None:
        note = f"config.created {created_text!r} is unreadable"
    else:
        note = f"config.created is {created_text}"
    labelled = parse_timestamp(label_created)
    if plausible(labelled, now=now):
        return BuildTime(labelled, BuildTimeSource.LABEL, note)
    dated = date_in_version(version or "")
    if plausible(dated, now=now):
        return BuildTime(dated, BuildTimeSource.VERSION, note)
    return BuildTime(None, BuildTimeSource.UNKNOWN, note)


def date_in_version(version: str) -> datetime | None:
    """Return the date a version encodes (44.20260501.0, 2026-05-01), at midnight UTC."""
    for match in _DATE_IN_VERSION.finditer(version):
        year, month, day = (int(part) for part in match.groups())
        try:
            return datetime(year, month, day, tzinfo=UTC)
        except ValueError:
            continue
    return None


def source_words(source: str, note: str, *, version: str = "") -> str:
    """Say where a build time came from, when it is not config.created: " (from ...: note)"."""
    if source == BuildTimeSource.LABEL:
        return f" (from its org.opencontainers.image.created label: {note})"
    if source == BuildTimeSource.VERSION:
        return f" (from the date in its version {version}: {note})"
    return ""
