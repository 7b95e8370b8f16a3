"""Presentation of health states, all through `fedimage.health.states.look()`."""

from __future__ import annotations

from datetime import timedelta

from django import template

from fedimage.core.durations import duration_words
from fedimage.health.models import BuildTimeSource
from fedimage.health.selectors import ImageRow, rows_counts
from fedimage.health.states import StateLook, ci_result_look, look, run_look
from fedimage.initiative.templatetags.fedimage import since

register = template.Library()
# Health pages say how long ago in the project's one wording, without loading a second library.
register.filter("since", since)

# Evidence cells reuse the milestone-matrix classes: proven green, disproven red, partial muted.
EVIDENCE_CLASS = {"layers": "reached", "annotation": "reached", "none": "overdue", "named": "due"}


@register.filter
def state_look(state: str) -> StateLook:
    """The words, glyph and colour class of a health state."""
    return look(state)


@register.filter
def run_state_look(status: str) -> StateLook:
    """The words, glyph and colour class of a poll run's status."""
    return run_look(status)


@register.filter
def ci_look(result: str) -> StateLook:
    """The words, glyph and colour class of a CI result ("passed" or a failure)."""
    return ci_result_look(result)


@register.filter
def evidence_class(evidence: str) -> str:
    return EVIDENCE_CLASS.get(evidence, "later")


@register.filter
def duration(delta: timedelta | None) -> str:
    """Say a duration the way people do: 40 minutes, 5 hours, 3 days."""
    return duration_words(delta)


@register.filter
def build_source(source: str) -> str:
    """Where a build time came from, for the pages ("" for config.created, the usual source)."""
    if source in ("", BuildTimeSource.CONFIG):
        return ""
    return BuildTimeSource(source).label


@register.filter
def health_tally(rows: list[ImageRow]) -> dict:
    """Tags per state over rows already read: {"total", "healthy", "others": [(look, n)]}."""
    return tally(rows_counts(rows))


@register.filter
def tally(counts: list[tuple[StateLook, int]]) -> dict:
    """{"total", "healthy", "others": [(look, n)]} from (look, count) pairs."""
    return {
        "total": sum(n for _, n in counts),
        "healthy": sum(n for state, n in counts if state.state == "healthy"),
        "others": [(state, n) for state, n in counts if state.state != "healthy"],
    }
