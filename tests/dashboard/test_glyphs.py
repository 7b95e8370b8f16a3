"""Every glyph a state or a page shows is in the font the pages ship (no emoji font needed)."""

import re
import struct
import zlib
from pathlib import Path

from fedimage.health.states import HealthState, ci_result_look, run_look
from fedimage.health.states import look as health_look
from fedimage.initiative.looks import KINDS
from trackers.status import RUN_BADGES, STATES

ROOT = Path(__file__).resolve().parents[2]
FONT = ROOT / "static" / "fonts" / "fedimage-glyphs.woff"
CSS = ROOT / "static" / "css" / "fedimage.css"
# Symbols (arrows, shapes, dingbats, …): what a visitor's text font may lack.
SYMBOL = re.compile(r"[\u2016\u2190-\u2bff]")


def woff_code_points(path: Path) -> set[int]:
    """The code points a WOFF font maps (its cmap's format 4 subtable: the BMP)."""
    data = path.read_bytes()
    assert data[:4] == b"wOFF"
    num_tables = struct.unpack(">H", data[12:14])[0]
    cmap = b""
    for i in range(num_tables):
        tag, offset, comp_len, orig_len, _ = struct.unpack(
            ">4sIIII", data[44 + 20 * i : 64 + 20 * i]
        )
        if tag == b"cmap":
            raw = data[offset : offset + comp_len]
            cmap = raw if comp_len == orig_len else zlib.decompress(raw)
    assert cmap, "the font has no cmap"
    points: set[int] = set()
    for j in range(struct.unpack(">H", cmap[2:4])[0]):
        _, _, sub = struct.unpack(">HHI", cmap[4 + 8 * j : 12 + 8 * j])
        if struct.unpack(">H", cmap[sub : sub + 2])[0] != 4:
            continue
        segs = struct.unpack(">H", cmap[sub + 6 : sub + 8])[0] // 2
        ends = struct.unpack(f">{segs}H", cmap[sub + 14 : sub + 14 + 2 * segs])
        starts_at = sub + 16 + 2 * segs
        starts = struct.unpack(f">{segs}H", cmap[starts_at : starts_at + 2 * segs])
        for start, end in zip(starts, ends, strict=True):
            if start != 0xFFFF:
                points.update(range(start, end + 1))
    return points


def _state_glyphs() -> set[str]:
    glyphs = {look.glyph for table in KINDS.values() for look in table.values()}
    glyphs |= {health_look(s).glyph for s in HealthState}
    glyphs |= {run_look(s).glyph for s in ("queued", "running", "waiting", "done", "failed")}
    glyphs |= {ci_result_look(s).glyph for s in ("passed", "failed")}
    glyphs |= {glyph for _, glyph, _ in STATES.values()}
    glyphs |= {glyph for glyph, _ in RUN_BADGES.values()}
    return {ch for glyph in glyphs for ch in glyph if ord(ch) > 127}


def _template_symbols() -> set[str]:
    found: set[str] = set()
    for path in [*(ROOT / "templates").rglob("*.html"), *(ROOT / "static" / "js").rglob("*.js")]:
        found |= set(SYMBOL.findall(path.read_text()))
    return found


def test_every_state_glyph_and_page_symbol_is_in_the_shipped_font():
    shipped = woff_code_points(FONT)
    used = _state_glyphs() | _template_symbols()
    missing = sorted(f"{ch} U+{ord(ch):04X}" for ch in used if ord(ch) not in shipped)
    assert missing == []
    assert "⏱" not in used  # no font the pages ship has it


def test_the_stylesheet_loads_the_font_for_its_glyphs_first():
    css = CSS.read_text()
    assert 'src: url("../fonts/fedimage-glyphs.woff") format("woff")' in css
    assert re.search(r':root \{[^}]*font-family: "fedimage glyphs",', css)
