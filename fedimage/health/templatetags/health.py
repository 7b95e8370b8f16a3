"""Presentation of health states: a CSS class of the shared stylesheet and an icon per state."""

from __future__ import annotations

from datetime import timedelta

from django import template

from fedimage.core.durations import duration_words
from fedimage.health.selectors import state_counts

register = template.Library()

# Classes of static/css/fedimage.css; colour always comes with the state's words or an icon.
BADGE_CLASS = {
    "healthy": "status-done",
    "stale": "status-at_risk",
    "degraded": "status-at_risk",
    "missing": "status-blocked",
    "garbage": "status-blocked",
    "unreachable": "status-on_track",
    "pending": "",
}
ICON = {
    "healthy": "✓",
    "stale": "⏱",
    "degraded": "◐",
    "missing": "✗",
    "garbage": "⚠",
    "unreachable": "?",
    "pending": "·",
}
EVIDENCE_CLASS = {"layers": "reached", "annotation": "reached", "none": "overdue", "named": "due"}


@register.filter
def health_class(state: str) -> str:
    return BADGE_CLASS.get(state, "")


@register.filter
def health_icon(state: str) -> str:
    return ICON.get(state, "·")


@register.filter
def evidence_class(evidence: str) -> str:
    return EVIDENCE_CLASS.get(evidence, "later")


@register.filter
def duration(delta: timedelta | None) -> str:
    """Say a duration the way people do: 40 minutes, 5 hours, 3 days."""
    return duration_words(delta)


@register.filter
def health_tally(rows) -> dict:
    """Tags per state over grid rows: {"total", "healthy", "others": [(state, label, n)]}."""
    counts = state_counts(rows)
    return {
        "total": sum(n for _, _, n in counts),
        "healthy": sum(n for state, _, n in counts if state == "healthy"),
        "others": [c for c in counts if c[0] != "healthy"],
    }
