"""The initiative file (TOML) and its sections, each declared by the app that owns it.

The file holds configuration, the dashboard holds day-to-day state. Each app registers the
sections it reads (`register(Section(...))` in its AppConfig.ready()), each with its schema (a
pydantic model, see fedimage.core.file_schema). Loading validates every section first (a bad
file is refused whole, each error naming its line and the reason) and then applies them in
order in one transaction, so a file is either loaded whole or not at all.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction

from fedimage.core.file_schema import FileSchema, SchemaError, describe_all


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

    `schema` (a FileSchema: one field per top-level table it reads) validates the section
    without touching the database, with the sections parsed before it as its validation
    context; `apply(value, report)` writes the validated schema inside the load's transaction.
    Sections parse and apply in `order`.
    """

    name: str
    schema: type[FileSchema]
    reports: tuple[str, ...]  # the kinds it counts in the LoadReport, in order
    apply: Callable[[Any, LoadReport], None]
    order: int = 100

    @property
    def tables(self) -> tuple[str, ...]:
        """The top-level TOML keys it reads."""
        return tuple(self.schema.model_fields)


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
        given = {table: data[table] for table in section.tables if table in data}
        try:
            parsed[section.name] = section.schema.model_validate(given, context=parsed)
        except SchemaError as exc:
            raise InitiativeFileError(describe_all(exc, loc.line_of)) from None
    return ParsedFile(parsed)


@transaction.atomic
def apply(parsed: ParsedFile) -> LoadReport:
    """Write every section, in order, in one transaction."""
    report = LoadReport()
    for section in sections():
        section.apply(parsed[section.name], report)
    return report


Row = TypeVar("Row", bound=models.Model)


def upsert_by_key(
    model: type[Row],
    existing: Mapping[str, Row],
    values: dict[str, Any],
    *,
    key: str = "key",
    report: LoadReport,
    kind: str,
    seed: Mapping[str, Any] | None = None,
    save: Callable[[Row, list[str] | None], None] | None = None,
    clean_exclude: Collection[str] = (),
) -> Row:
    """Create the row whose `key` is values[key], or update the fields that differ; count it.

    `existing` holds the rows already in the database by key; `seed` gives fields only a new
    row takes (the dashboard owns them after); `save(row, changed)` (changed: None for a new
    row) replaces `row.save()`, for history or side effects. Nothing is saved when nothing
    differs, so a reload of the same file writes nothing.
    """
    row = existing.get(values[key])
    if row is None:
        row = model(**values, **(seed or {}))
        changed: list[str] | None = None
        bucket = "created"
    else:
        changed = [name for name, value in values.items() if getattr(row, name) != value]
        if not changed:
            report.count("unchanged", kind)
            return row
        for name in changed:
            setattr(row, name, values[name])
        bucket = "updated"
    row.full_clean(exclude=list(clean_exclude))
    if save is None:
        row.save()
    else:
        save(row, changed)
    report.count(bucket, kind)
    return row


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
