"""Text from people and trackers: visible controls, isolated direction, http(s) links only."""

import pytest
from django.template import Context, Template

from fedimage.core.text import from_visible, http_url, visible
from fedimage.initiative.markup import render_markdown


def test_bidi_and_control_characters_show_as_markers_and_markers_search_back():
    shown = visible("invoice-\u202egpj.exe\x1b[31m")
    assert shown == "invoice-⟨U+202E⟩gpj.exe⟨U+001B⟩[31m"
    assert from_visible(shown) == "invoice-\u202egpj.exe\x1b[31m"
    assert from_visible("⟨U+0041⟩") == "⟨U+0041⟩"  # only controls are markers
    assert visible("two\nlines\tand tab") == "two\nlines\tand tab"  # whitespace stays


@pytest.mark.parametrize(
    ("url", "linked"),
    [
        ("https://gitlab.com/fedora/bootc/tracker/-/issues/1", True),
        ("http://example.org/x", True),
        ("/blockers/1/", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        (" javascript:alert(1)", False),
        ("data:text/html,<script>", False),
        ("//evil.example/x", False),
        ("https:///no-host", False),
        ("https://exa\nmple.org/", False),
        ("/\\evil.example", False),
        ("", False),
        (None, False),
    ],
)
def test_only_http_urls_and_site_paths_become_links(url, linked):
    assert bool(http_url(url)) is linked
    html = Template("{% outside_link url 'label' %}").render(Context({"url": url}))
    assert ("<a " in html) is linked
    assert "label" in html


def test_bdi_isolates_escapes_and_shows_controls():
    html = Template("{{ t|bdi }}|{{ t|visible }}").render(Context({"t": "<b>\u202ex"}))
    assert html == "<bdi>&lt;b&gt;⟨U+202E⟩x</bdi>|&lt;b&gt;⟨U+202E⟩x"


def test_markdown_links_only_http_and_shows_controls():
    html = render_markdown(
        "[a](javascript:alert(1)) [b](mailto:x@y) [c](https://ok.example) \u202e"
    )
    assert "javascript" not in html
    assert "mailto" not in html
    assert 'href="https://ok.example"' in html
    assert "⟨U+202E⟩" in html
