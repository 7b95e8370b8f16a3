"""Template helpers: safe Markdown, words for dates and times, and how a state is shown."""

from datetime import date, datetime

from django import template
from django.utils import timezone

from fedimage.core.durations import duration_words
from fedimage.initiative import looks
from fedimage.initiative.markup import render_markdown

register = template.Library()


@register.filter
def markdown(text):
    return render_markdown(text)


@register.filter
def look(value: str, kind: str) -> looks.Look:
    """`{% with l=milestone.status|look:"milestone" %}`: its words, glyph and colour class."""
    return looks.look(kind, value)


@register.filter
def days_from_today(day: date | None) -> str:
    """'in 3 days', 'today', '2 days ago'."""
    if day is None:
        return "no date set"
    delta = (day - timezone.localdate()).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "tomorrow"
    if delta == -1:
        return "yesterday"
    return f"in {delta} days" if delta > 0 else f"{-delta} days ago"


@register.filter
def since(moment: datetime | None) -> str:
    """How long ago a moment was, in the one duration wording ("3 days"; pages add "ago")."""
    return duration_words(timezone.now() - moment) if moment else "unknown"


@register.filter
def is_past(day: date | None) -> bool:
    return day is not None and day < timezone.localdate()


@register.filter
def is_overdue(milestone) -> bool:
    """A milestone past its target date that is not done."""
    return milestone.status != "done" and is_past(milestone.target_date)


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters replaced (for pagination links)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        params[key] = value
    return params.urlencode()
