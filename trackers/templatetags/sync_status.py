"""`{% run_badge run %}`, `{% source_badge status %}`, `{% state_badge "failing" words %}` and
`{% issue_badge issue %}`: the run, source and tracked issue states in words, glyph and colour,
from the one mapping in trackers.status."""

from __future__ import annotations

from typing import Any

from django import template

from trackers.models import SyncRun, TrackedIssue
from trackers.status import ISSUE_BADGES, RUN_BADGES, STATES, SourceStatus

register = template.Library()


@register.inclusion_tag("trackers/_badge.html")
def run_badge(run: SyncRun) -> dict[str, Any]:
    glyph, css = RUN_BADGES.get(run.status, ("·", ""))
    return {"glyph": glyph, "css": css, "label": run.get_status_display()}


@register.inclusion_tag("trackers/_badge.html")
def source_badge(status: SourceStatus) -> dict[str, Any]:
    return {"glyph": status.glyph, "css": status.css, "label": status.label}


@register.inclusion_tag("trackers/_badge.html")
def state_badge(state: str, label: str, count: int | None = None) -> dict[str, Any]:
    """A source state's glyph and colour beside other words ("3 failing or paused")."""
    _, glyph, css = STATES[state]
    return {"glyph": glyph, "css": css, "label": label if count is None else f"{count} {label}"}


@register.inclusion_tag("trackers/_badge.html")
def issue_badge(issue: TrackedIssue, prefix: str = "") -> dict[str, Any]:
    """A tracked issue's state ("closed"), after `prefix` ("upstream") when one is given."""
    glyph, css = ISSUE_BADGES.get(issue.state, ("·", ""))
    label = issue.get_state_display()
    return {"glyph": glyph, "css": css, "label": f"{prefix} {label.lower()}" if prefix else label}
