"""Health states of a watched tag: their order of badness and the one way each is shown.

Every page, report and chart that shows a health state takes its words, glyph and colour from
`look()`, so one state never gets two colours.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class HealthState(models.TextChoices):
    """What a tag's last poll found, from best to worst."""

    PENDING = "pending", "Not checked yet"
    HEALTHY = "healthy", "Healthy"
    STALE = "stale", "Stale"
    DEGRADED = "degraded", "Degraded"
    MISSING = "missing", "Missing"
    UNREACHABLE = "unreachable", "Registry unreachable"
    GARBAGE = "garbage", "Registry answered garbage"


# States that say something is wrong with the image itself; past the grace period they open a
# blocker. Unreachable and garbage are the registry's failures: they neither open nor close one.
INCIDENT_STATES = frozenset({HealthState.STALE, HealthState.DEGRADED, HealthState.MISSING})
# States that come from reading the tag's current content (its architectures, build time).
READ_STATES = frozenset({HealthState.HEALTHY, HealthState.STALE, HealthState.DEGRADED})
# How bad each state is, for thinning samples (keep the worst of a bucket) and for summaries.
# Keyed by str so raw state values read from the database look up too (HealthState is a str).
STATE_RANK: dict[str, int] = {
    HealthState.PENDING: 0,
    HealthState.HEALTHY: 1,
    HealthState.UNREACHABLE: 2,
    HealthState.STALE: 3,
    HealthState.DEGRADED: 4,
    HealthState.GARBAGE: 5,
    HealthState.MISSING: 6,
}


@dataclass(frozen=True)
class StateLook:
    """How a state is shown: its words, a glyph beside them, and a colour (never alone)."""

    state: str
    label: str
    glyph: str
    css_class: str  # a status class of static/css/fedimage.css ("" for neutral grey)
    colour: str  # the colour's name, for charts and plain-text reports


_LOOKS = {
    HealthState.HEALTHY: ("✓", "status-done", "green"),
    HealthState.STALE: ("◷", "status-at_risk", "amber"),
    HealthState.DEGRADED: ("◐", "status-at_risk", "amber"),
    HealthState.MISSING: ("✗", "status-blocked", "red"),
    HealthState.GARBAGE: ("⚠", "status-blocked", "red"),
    # The registry's failure, not the image's: informational blue.
    HealthState.UNREACHABLE: ("?", "status-on_track", "blue"),
    HealthState.PENDING: ("·", "", "grey"),
}


def look(state: str) -> StateLook:
    """Return how to show a state (an unknown value is shown like "not checked yet", in grey)."""
    try:
        known = HealthState(state)
    except ValueError:
        return StateLook(state, str(state), "·", "", "grey")
    glyph, css_class, colour = _LOOKS[known]
    return StateLook(known.value, known.label, glyph, css_class, colour)


def worst(states: list[str]) -> str:
    """Return the worst of some states (pending for none)."""
    return max(states, key=lambda s: STATE_RANK.get(s, 0), default=HealthState.PENDING.value)


_RUN_LOOKS = {
    "queued": ("Queued", "·", "", "grey"),
    "running": ("Running", "↻", "status-on_track", "blue"),
    "waiting": ("Waiting for the registry", "‖", "status-at_risk", "amber"),
    "done": ("Done", "✓", "status-done", "green"),
    "failed": ("Failed", "✗", "status-blocked", "red"),
}


def run_look(status: str) -> StateLook:
    """Return how to show where a poll run stands."""
    label, glyph, css_class, colour = _RUN_LOOKS.get(status, (status, "·", "", "grey"))
    return StateLook(status, label, glyph, css_class, colour)


# A CI test result, of one architecture or of a whole build (TagState.tests_failed).
_TEST_LOOKS = {
    "passed": ("CI passed", "✓", "status-done", "green"),
    "failed": ("CI failed", "✗", "status-blocked", "red"),
}


def ci_result_look(result: str) -> StateLook:
    """Return how to show a CI result: "passed", or anything else, which is a failure."""
    key = "passed" if result == "passed" else "failed"
    label, glyph, css_class, colour = _TEST_LOOKS[key]
    return StateLook(key, label, glyph, css_class, colour)
