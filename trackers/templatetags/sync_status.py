"""`{% run_badge run %}` and `{% source_badge status %}`: the run and source states in words,
glyph and colour, from the one mapping in trackers.status."""

from __future__ import annotations

from typing import Any

from django import template

from trackers.models import SyncRun
from trackers.status import RUN_BADGES, SourceStatus

register = template.Library()


@register.inclusion_tag("trackers/_badge.html")
def run_badge(run: SyncRun) -> dict[str, Any]:
    glyph, css = RUN_BADGES.get(run.status, ("·", ""))
    return {"glyph": glyph, "css": css, "label": run.get_status_display()}


@register.inclusion_tag("trackers/_badge.html")
def source_badge(status: SourceStatus) -> dict[str, Any]:
    return {"glyph": status.glyph, "css": status.css, "label": status.label}
