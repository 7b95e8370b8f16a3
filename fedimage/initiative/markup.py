"""Render untrusted Markdown to safe HTML."""

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

from fedimage.core.text import visible_bidi

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "del",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


def render_markdown(text: str) -> SafeString:
    """Markdown in, sanitised HTML out: no scripts, styles, images, event handlers or links
    but http(s) survive."""
    # Bidi controls show as markers (⟨U+202E⟩): they cannot reorder the page.
    html = markdown.markdown(
        visible_bidi(text or ""), extensions=["fenced_code", "tables", "sane_lists"]
    )
    # Headings 1-2 would compete with the page's own; shift them down.
    html = (
        html.replace("<h1", "<h3")
        .replace("</h1>", "</h3>")
        .replace("<h2", "<h4")
        .replace("</h2>", "</h4>")
    )
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https"},  # links from people: http(s) only
        link_rel="nofollow noopener noreferrer",
    )
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 just above
