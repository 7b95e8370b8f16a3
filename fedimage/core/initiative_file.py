"""The initiative file (TOML) and its sections, each declared by the app that owns it.

The file holds configuration, the dashboard holds day-to-day state. Each app registers the
sections it reads (`register(Section(...))` in its AppConfig.ready()); loading parses every
section first (one bad line rejects the whole file, naming the line and the reason) and then
applies them in order in one transaction, so a file is either loaded whole or not at all.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.text import slugify

from fedimage.core.text import describe_control, first_control


class InitiativeFileError(ValueError):
    """The initiative file cannot be loaded; the message names the line and the reason."""


@dataclass
class LoadReport:
    """What a load created, updated and left unchanged, per kind of row."""

    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    not_in_file: dict[str, list[str]] = field(default_factory=dict)

    def count(self, bucket: str, kind: str) -> None:
        counts = getattr(self, bucket)
        counts[kind] = counts.get(kind, 0) + 1

    def lines(self) -> list[str]:
        out = []
        for kind in report_kinds():
            out.append(
                f"{kind}: {self.created.get(kind, 0)} created, "
                f"{self.updated.get(kind, 0)} updated, "
                f"{self.unchanged.get(kind, 0)} unchanged"
            )
            if self.not_in_file.get(kind):
                out.append(
                    "  in the database but not in the file (kept): "
                    + ", ".join(self.not_in_file[kind])
                )
        return out


@dataclass(frozen=True)
class Section:
    """One part of the file, declared by the app that owns its tables.

    `parse(loc, data, parsed)` validates the section's tables without touching the database
    (`parsed` holds the sections parsed before it) and raises InitiativeFileError; `apply(value,
    report)` writes it inside the load's transaction. Sections parse and apply in `order`.
    """

    name: str
    tables: tuple[str, ...]  # the top-level TOML keys it reads
    reports: tuple[str, ...]  # the kinds it counts in the LoadReport, in order
    parse: Callable[[Locator, dict[str, Any], Mapping[str, Any]], Any]
    apply: Callable[[Any, LoadReport], None]
    order: int = 100


_SECTIONS: dict[str, Section] = {}


def register(section: Section) -> None:
    """Declare a section (again: the later declaration replaces the earlier)."""
    _SECTIONS[section.name] = section


def sections() -> list[Section]:
    return sorted(_SECTIONS.values(), key=lambda s: (s.order, s.name))


def report_kinds() -> list[str]:
    return [kind for section in sections() for kind in section.reports]


class Locator:
    """Find the line of a table or a key in the source, for error messages."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def line_of(self, section: str, index: int | None = None, key: str | None = None) -> int:
        header = re.compile(rf"^\s*\[\[?\s*{re.escape(section)}\s*\]\]?\s*(#.*)?$")
        any_header = re.compile(r"^\s*\[")
        seen, start = -1, None
        for n, line in enumerate(self.lines):
            if header.match(line):
                seen += 1
                if index is None or seen == index:
                    start = n
                    break
        if start is None:
            return 1
        if key is None:
            return start + 1
        key_re = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for n in range(start + 1, len(self.lines)):
            if any_header.match(self.lines[n]):
                break
            if key_re.match(self.lines[n]):
                return n + 1
        return start + 1


class Reader:
    """Typed access to one table of the file, raising errors that point at the line."""

    def __init__(self, loc: Locator, section: str, index: int | None, table: Any) -> None:
        self.loc, self.section, self.index = loc, section, index
        if not isinstance(table, dict):
            self.fail(None, "must be a table")
        self.table: dict[str, Any] = table

    @property
    def where(self) -> str:
        return self.section if self.index is None else f"{self.section}[{self.index + 1}]"

    def fail(self, key: str | None, reason: str) -> None:
        line = self.loc.line_of(self.section, self.index, key)
        what = f"{self.where}.{key}" if key else self.where
        raise InitiativeFileError(f"line {line}: {what}: {reason}")

    def only(self, allowed: set[str]) -> None:
        for key in self.table:
            if key not in allowed:
                self.fail(key, f"unknown key (allowed: {', '.join(sorted(allowed))})")

    def get(
        self,
        key: str,
        kind: type | tuple[type, ...],
        *,
        required: bool = False,
        default: Any = None,
    ) -> Any:
        if key not in self.table:
            if required:
                self.fail(None, f"'{key}' is required")
            return default
        value = self.table[key]
        # TOML booleans are not integers here, whatever Python thinks.
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            self.fail(key, f"expected {_kind_name(kind)}, got a boolean")
        if not isinstance(value, kind):
            self.fail(key, f"expected {_kind_name(kind)}, got {type(value).__name__} {value!r}")
        return value

    def text(
        self, key: str, *, required: bool = False, max_length: int = 200, multiline: bool = False
    ) -> str:
        """A string; names and titles (not `multiline`) on one line, no control characters."""
        value = self.get(key, str, required=required, default="")
        if required and not value.strip():
            self.fail(key, "must not be empty")
        self.plain(key, value.strip(), multiline=multiline)
        if len(value) > max_length:
            self.fail(key, f"longer than {max_length} characters")
        return value.strip()

    def plain(self, key: str, value: str, *, multiline: bool = False) -> None:
        """Fail if the text holds a control character (or, unless multiline, a line break).

        They would reach pages, Markdown, CSV and feeds raw: an ANSI escape, a bidi override
        that reverses what a name shows, a line break that splits a CSV row.
        """
        char = first_control(value, multiline=multiline)
        if char is not None:
            at = value.index(char)
            where = f" after '{value[max(0, at - 20) : at]}'" if at else " at the start"
            rule = "" if multiline else "; keep it on one line"
            self.fail(key, f"contains {describe_control(char)}{where}{rule}")

    def in_order(self, *keys: str) -> None:
        """Fail unless the dates given under these keys come in this order."""
        given = [(key, self.table[key]) for key in keys if isinstance(self.table.get(key), date)]
        for (early, first), (late, second) in pairwise(given):
            if second < first:
                self.fail(late, f"{second} is before {early} {first}: {late} must come after it")

    def slug(self, key: str = "key", *, max_length: int = 80) -> str:
        value = self.text(key, required=True, max_length=max_length)
        if slugify(value) != value:
            self.fail(key, f"'{value}' is not a slug (lowercase letters, digits and hyphens)")
        return value

    def day(self, key: str) -> date | None:
        value = self.get(key, date)
        if value is not None and type(value) is not date:
            self.fail(key, "expected a date like 2026-04-28, not a date-time")
        return value

    def url(self, key: str) -> str:
        value = self.text(key, max_length=500)
        try:
            if value:
                URLValidator(schemes=["http", "https"])(value)
        except ValidationError:
            self.fail(key, f"'{value}' is not an http(s) URL")
        return value

    def choice(self, key: str, choices: dict[str, Any], default: Any) -> Any:
        value = self.get(key, str)
        if value is None:
            return default
        if value not in choices:
            self.fail(key, f"'{value}' is not one of {', '.join(choices)}")
        return choices[value]

    def small_int(self, key: str, default: int) -> int:
        value = self.get(key, int, default=default)
        if not 0 <= value <= 32767:
            self.fail(key, "must be between 0 and 32767")
        return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {
        str: "a string",
        bool: "true or false",
        int: "an integer",
        list: "a list",
        dict: "a table",
        date: "a date",
    }
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def array(loc: Locator, data: dict, section: str) -> list:
    """The `[[section]]` tables of the file (none: an empty list)."""
    value = data.get(section, [])
    if not isinstance(value, list):
        raise InitiativeFileError(
            f"line {loc.line_of(section)}: {section}: write it as [[{section}]] tables"
        )
    return value


def unique(loc: Locator, section: str, keys: list[str], *, key: str = "key") -> list[str]:
    """The keys, if none is used twice; else an error naming the second use."""
    seen: set[str] = set()
    for i, value in enumerate(keys):
        if value in seen:
            line = loc.line_of(section, i, key)
            raise InitiativeFileError(
                f"line {line}: {section}[{i + 1}].{key}: '{value}' is used twice"
            )
        seen.add(value)
    return keys


@dataclass
class ParsedFile:
    """Every section's validated content, by section name."""

    sections: dict[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.sections[name]


def parse(text: str) -> ParsedFile:
    """Validate the whole file before anything is written."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        where = f"line {match.group(1)}, column {match.group(2)}" if match else "line ?"
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise InitiativeFileError(f"{where}: not valid TOML: {reason}") from None
    loc = Locator(text)
    known = [table for section in sections() for table in section.tables]
    for key in data:
        if key not in known:
            line = loc.line_of(key)
            raise InitiativeFileError(
                f"line {line}: unknown section '{key}' (known: {', '.join(known)})"
            )
    parsed: dict[str, Any] = {}
    for section in sections():
        parsed[section.name] = section.parse(loc, data, parsed)
    return ParsedFile(parsed)


@transaction.atomic
def apply(parsed: ParsedFile) -> LoadReport:
    """Write every section, in order, in one transaction."""
    report = LoadReport()
    for section in sections():
        section.apply(parsed[section.name], report)
    return report


def load_initiative_file(path: Path | str) -> LoadReport:
    """Parse and validate the whole file, then apply it in one transaction."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InitiativeFileError("no such file") from None
    except UnicodeDecodeError as exc:
        raise InitiativeFileError(f"not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise InitiativeFileError(f"cannot be read ({exc.strerror})") from None
    parsed = parse(text)
    try:
        return apply(parsed)
    except ValidationError as exc:
        # parse() checks what the models check; this is the last guard, and apply() is atomic.
        raise InitiativeFileError(f"rejected by the database rules: {exc}") from None
