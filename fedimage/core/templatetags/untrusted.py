"""Show text from people and trackers: direction-isolated, controls visible, http(s) links only.

A builtin (settings TEMPLATES): every template can use `{{ title|bdi }}`, `{{ title|visible }}`
(for <title> and attributes) and `{% outside_link url label %}`.
"""

from django import template
from django.utils.html import format_html

from fedimage.core import text

register = template.Library()


@register.filter
def visible(value: object) -> str:
    """Bidi and control characters replaced by visible markers (still auto-escaped)."""
    return text.visible(value)


@register.filter
def bdi(value: object) -> str:
    """`<bdi>` around the visible text: its direction cannot leak into the page around it."""
    return format_html("<bdi>{}</bdi>", text.visible(value))


@register.filter
def http_url(value: object) -> str:
    """The URL if it is http(s), else ""."""
    return text.http_url(value)


@register.simple_tag
def outside_link(url: object, label: object = None) -> str:
    """A link to a tracker or user URL, or only its label when the URL is not http(s)."""
    shown = url if label is None else label
    href = text.http_url(url)
    if not href:
        return format_html("<bdi>{}</bdi>", text.visible(shown))
    return format_html(
        '<a href="{}" rel="nofollow noopener"><bdi>{}</bdi></a>', href, text.visible(shown)
    )
