"""Text from people and trackers, made safe to show: visible controls, http(s) links only.

Bidi controls (U+202E RIGHT-TO-LEFT OVERRIDE and kin) can make "txt.exe" show as "exe.txt";
other control characters (ANSI escapes, NUL) show as nothing or as garbage. In a title or name
each one is replaced by a visible marker such as ⟨U+202E⟩, so what a page shows is what is
stored, and a search for the shown text finds it (`from_visible` turns markers back).
"""

import re
from urllib.parse import urlsplit

# Bidi formatting characters: marks, embeddings, overrides, isolates (Unicode UAX #9).
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# C0 and C1 control characters but the whitespace ones (tab and line breaks show as spaces).
_CONTROLS = "".join(chr(c) for c in (*range(0x20), *range(0x7F, 0xA0)) if chr(c) not in "\t\n\r")
_SHOWN = re.compile(f"[{re.escape(BIDI_CONTROLS + _CONTROLS)}]")
# What a single-line field (a name, a title) must not hold: the above, tab and line breaks,
# and the Unicode line and paragraph separators.
_NOT_SINGLE_LINE = re.compile(f"[{re.escape(BIDI_CONTROLS + _CONTROLS)}\t\n\r\u2028\u2029]")
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")
_MARKER = re.compile(r"⟨U\+([0-9A-F]{4})⟩")


def marker(char: str) -> str:
    """The visible stand-in of one control character: ⟨U+202E⟩."""
    return f"⟨U+{ord(char):04X}⟩"


def visible(text: object) -> str:
    """The text with every bidi and control character replaced by its visible marker."""
    return _SHOWN.sub(lambda m: marker(m.group()), "" if text is None else str(text))


def visible_bidi(text: str) -> str:
    """Only the bidi controls replaced by markers (for Markdown, whose other controls the
    feeds and the sanitiser already drop)."""
    return _BIDI.sub(lambda m: marker(m.group()), text)


def from_visible(text: str) -> str:
    """Markers back to the characters they stand for (a search pasted from a page)."""

    def char(m: re.Match[str]) -> str:
        c = chr(int(m.group(1), 16))
        return c if _SHOWN.fullmatch(c) else m.group()

    return _MARKER.sub(char, text)


def first_control(text: str, *, multiline: bool = False) -> str | None:
    """The first bidi control, control character or (unless multiline) line break, or None."""
    found = (_SHOWN if multiline else _NOT_SINGLE_LINE).search(text)
    return found.group() if found else None


def describe_control(char: str) -> str:
    """'a line break (U+000A)', 'a bidi control (U+202E)', 'a control character (U+001B)'."""
    if char in "\n\r\u2028\u2029":
        kind = "a line break"
    elif char == "\t":
        kind = "a tab"
    elif char == "\x00":
        kind = "a NUL character"
    elif char in BIDI_CONTROLS:
        kind = "a bidi control"
    else:
        kind = "a control character"
    return f"{kind} ({marker(char)[1:-1]})"


def http_url(url: object) -> str:
    """The URL if it is an http(s) URL with a host or a path on this site, else "".

    Whatever a tracker or a person supplies (`javascript:`, `data:`) never becomes a link.
    """
    text = "" if url is None else str(url).strip()
    if _NOT_SINGLE_LINE.search(text) or "\\" in text:
        return ""
    if text.startswith("/") and not text.startswith("//"):
        return text
    try:
        parts = urlsplit(text)
    except ValueError:
        return ""
    return text if parts.scheme.lower() in {"http", "https"} and parts.netloc else ""
