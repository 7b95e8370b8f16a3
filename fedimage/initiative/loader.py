"""Load the initiative file (TOML): releases, milestones, subprojects and their migration.

The file holds configuration, the dashboard holds day-to-day state. Loading is idempotent:
rows are matched on their `key`, fields the file owns are updated when they differ, and the
statuses the file gives (`status`, `stage`) only seed rows it creates: after that, leads set
them in the dashboard. A malformed file is rejected with its line and the reason, and nothing
is written.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.text import slugify

from fedimage.initiative.history import FILE_REASON
from fedimage.initiative.models import (
    Initiative,
    Migration,
    Milestone,
    MilestoneStatus,
    Release,
    Stage,
    Subproject,
)
from fedimage.initiative.services import save_with_history

STAGE_NAMES = {
    "own-base": Stage.OWN_BASE,
    "development": Stage.DEVELOPMENT,
    "beta": Stage.BETA,
    "production": Stage.PRODUCTION,
}
SECTIONS = ("initiative", "releases", "milestones", "subprojects", "images", "trackers")
# Each name becomes a condition of the progress query: keep the lists short.
MAX_TRACKER_NAMES = 20


class InitiativeFileError(ValueError):
    """The initiative file cannot be loaded; the message names the line and the reason."""


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    not_in_file: dict[str, list[str]] = field(default_factory=dict)

    def count(self, bucket: str, kind: str) -> None:
        counts = getattr(self, bucket)
        counts[kind] = counts.get(kind, 0) + 1

    def lines(self) -> list[str]:
        out = []
        for kind in ("releases", "milestones", "subprojects", "images", "trackers"):
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


class _Locator:
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


class _Reader:
    """Typed access to one table of the file, raising errors that point at the line."""

    def __init__(self, loc: _Locator, section: str, index: int | None, table: Any) -> None:
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

    def text(self, key: str, *, required: bool = False, max_length: int = 200) -> str:
        value = self.get(key, str, required=required, default="")
        if required and not value.strip():
            self.fail(key, "must not be empty")
        if "\x00" in value:
            self.fail(key, "contains a NUL character")
        if len(value) > max_length:
            self.fail(key, f"longer than {max_length} characters")
        return value.strip()

    def slug(self, key: str = "key", *, max_length: int = 80) -> str:
        value = self.text(key, required=True, max_length=max_length)
        if slugify(value) != value:
            self.fail(key, f"'{value}' is not a slug (lowercase letters, digits and hyphens)")
        return value

    def day(self, key: str) -> date | None:
        value = self.get(key, date)
        if value is not None and not _is_plain_date(value):
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


def _is_plain_date(value: date) -> bool:
    return type(value) is date


@dataclass
class _Parsed:
    initiative: dict[str, Any]
    releases: list[dict[str, Any]]
    milestones: list[dict[str, Any]]
    subprojects: list[dict[str, Any]]
    images: list[dict[str, Any]] = field(default_factory=list)  # fedimage.health.loader
    trackers: list[dict[str, Any]] = field(default_factory=list)  # trackers.loader


def parse(text: str) -> _Parsed:
    """Validate the whole file before anything is written."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        where = f"line {match.group(1)}, column {match.group(2)}" if match else "line ?"
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise InitiativeFileError(f"{where}: not valid TOML: {reason}") from None
    loc = _Locator(text)
    for key in data:
        if key not in SECTIONS:
            line = loc.line_of(key)
            raise InitiativeFileError(
                f"line {line}: unknown section '{key}' (known: {', '.join(SECTIONS)})"
            )

    top = _Reader(loc, "initiative", None, data.get("initiative", {}))
    top.only({"name", "lead", "sponsor", "matrix_room", "wiki_url", "summary"})
    initiative = {
        "name": top.text("name", required=True),
        "lead": top.text("lead"),
        "sponsor": top.text("sponsor"),
        "matrix_room": top.text("matrix_room"),
        "wiki_url": top.url("wiki_url"),
        "summary": top.text("summary", max_length=2000),
    }

    releases: list[dict[str, Any]] = []
    for i, table in enumerate(_array(loc, data, "releases")):
        r = _Reader(loc, "releases", i, table)
        r.only(
            {
                "key",
                "name",
                "order",
                "beta_target",
                "final_target",
                "released_on",
                "end_of_life",
                "notes",
            }
        )
        releases.append(
            {
                "key": r.slug(max_length=40),
                "name": r.text("name", required=True, max_length=100),
                "order": _small_int(r, "order", i),
                "beta_target": r.day("beta_target"),
                "final_target": r.day("final_target"),
                "released_on": r.day("released_on"),
                "end_of_life": r.day("end_of_life"),
                "notes": r.text("notes", max_length=2000),
            }
        )
    release_keys = _unique(loc, "releases", [r["key"] for r in releases])
    if not releases:
        raise InitiativeFileError("line 1: releases: at least one [[releases]] table is required")

    statuses = {s.value.replace("_", "-"): s.value for s in MilestoneStatus}
    milestones: list[dict[str, Any]] = []
    for i, table in enumerate(_array(loc, data, "milestones")):
        r = _Reader(loc, "milestones", i, table)
        r.only(
            {
                "key",
                "release",
                "title",
                "description",
                "owner",
                "target_date",
                "stretch",
                "status",
                "migration_stage",
                "tracker_labels",
                "tracker_milestones",
                "order",
            }
        )
        release = r.text("release", required=True, max_length=40)
        if release not in release_keys:
            r.fail("release", f"unknown release '{release}' (known: {', '.join(release_keys)})")
        links = _tracker_links(r)
        if "migration_stage" in r.table and (
            links["tracker_labels"] or links["tracker_milestones"]
        ):
            r.fail(
                "tracker_labels" if links["tracker_labels"] else "tracker_milestones",
                "progress counts either the subprojects at migration_stage or linked issues; "
                "drop one of them",
            )
        milestones.append(
            {
                "key": r.slug(),
                "release": release,
                "title": r.text("title", required=True),
                "description": r.text("description", max_length=5000),
                "owner": r.text("owner"),
                "target_date": r.day("target_date"),
                "stretch": r.get("stretch", bool, default=False),
                "status": r.choice("status", statuses, MilestoneStatus.NOT_STARTED),
                "migration_stage": r.choice("migration_stage", STAGE_NAMES, None),
                **links,
                "order": _small_int(r, "order", i),
            }
        )
    _unique(loc, "milestones", [m["key"] for m in milestones])

    subprojects: list[dict[str, Any]] = []
    for i, table in enumerate(_array(loc, data, "subprojects")):
        r = _Reader(loc, "subprojects", i, table)
        r.only(
            {
                "key",
                "name",
                "kind",
                "description",
                "owners",
                "matrix_room",
                "homepage",
                "tracker_url",
                "tracker_labels",
                "tracker_milestones",
                "stage",
                "beta_target",
                "production_target",
                "order",
            }
        )
        owners = r.get("owners", list, default=[])
        if not all(isinstance(o, str) and o.strip() and "," not in o for o in owners):
            r.fail("owners", "expected a list of FAS names")
        if len(", ".join(o.strip() for o in owners)) > 300:
            r.fail("owners", "longer than 300 characters in all")
        targets = {}
        for key in ("beta_target", "production_target"):
            value = r.text(key, max_length=40)
            if value and value not in release_keys:
                r.fail(key, f"unknown release '{value}' (known: {', '.join(release_keys)})")
            targets[key] = value or None
        kinds = {k.value: k.value for k in Subproject.Kind}
        subprojects.append(
            {
                "key": r.slug(),
                "name": r.text("name", required=True, max_length=120),
                "kind": r.choice("kind", kinds, Subproject.Kind.EDITION),
                "description": r.text("description", max_length=5000),
                "owners": ", ".join(o.strip() for o in owners),
                "matrix_room": r.text("matrix_room"),
                "homepage": r.url("homepage"),
                "tracker_url": r.url("tracker_url"),
                **_tracker_links(r),
                "stage": r.choice("stage", STAGE_NAMES, Stage.OWN_BASE),
                **targets,
                "order": _small_int(r, "order", i),
            }
        )
    _unique(loc, "subprojects", [s["key"] for s in subprojects])
    # Imported here: the health app builds on this module, not the other way round.
    from fedimage.health.loader import parse_images

    images = parse_images(
        loc,
        data,
        subprojects=[s["key"] for s in subprojects],
        milestones=[m["key"] for m in milestones],
    )
    from trackers.loader import parse_trackers  # imported here, like parse_images

    tracker_specs = parse_trackers(loc, data, subprojects=[s["key"] for s in subprojects])
    return _Parsed(initiative, releases, milestones, subprojects, images, tracker_specs)


def _array(loc: _Locator, data: dict, section: str) -> list:
    value = data.get(section, [])
    if not isinstance(value, list):
        raise InitiativeFileError(
            f"line {loc.line_of(section)}: {section}: write it as [[{section}]] tables"
        )
    return value


def _tracker_links(r: _Reader) -> dict[str, list[str]]:
    """`tracker_labels` and `tracker_milestones`: names as the trackers spell them."""
    # A label ends up in TrackedIssue.label_index, one per line: it cannot hold a line break.
    # Lengths follow TrackedIssue (milestone: 300) and the issue list's label filter (200).
    links = {}
    for key, max_length in (("tracker_labels", 200), ("tracker_milestones", 300)):
        value = r.get(key, list, default=[])
        if len(value) > MAX_TRACKER_NAMES:
            r.fail(key, f"at most {MAX_TRACKER_NAMES} names")
        names: list[str] = []
        for item in value:
            if not isinstance(item, str) or not item.strip() or "\n" in item or "\r" in item:
                r.fail(key, f"expected a list of names on one line each, got {item!r}")
            name = item.strip()
            if len(name) > max_length:
                r.fail(key, f"'{name[:40]}...' is longer than {max_length} characters")
            if name in names:
                r.fail(key, f"'{name}' is listed twice")
            names.append(name)
        links[key] = names
    return links


def _small_int(r: _Reader, key: str, index: int) -> int:
    value = r.get(key, int, default=index)
    if not 0 <= value <= 32767:
        r.fail(key, "must be between 0 and 32767")
    return value


def _unique(loc: _Locator, section: str, keys: list[str]) -> list[str]:
    seen: set[str] = set()
    for i, key in enumerate(keys):
        if key in seen:
            line = loc.line_of(section, i, "key")
            raise InitiativeFileError(f"line {line}: {section}[{i + 1}].key: '{key}' is used twice")
        seen.add(key)
    return keys


def _upsert(
    model,
    key: str,
    values: dict[str, Any],
    report: LoadReport,
    kind: str,
    seed: dict[str, Any] | None = None,
):
    """Create or update one row by key; save (and write history) only when something differs."""
    obj = model.objects.filter(key=key).first()
    if obj is None:
        obj = model(key=key, **values, **(seed or {}))
        obj.full_clean()
        _save(obj)
        report.count("created", kind)
        return obj
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.full_clean()
        _save(obj)
        report.count("updated", kind)
    else:
        report.count("unchanged", kind)
    return obj


def _save(obj) -> None:
    if hasattr(type(obj), "history"):
        save_with_history(obj, user=None, reason=FILE_REASON)
    else:
        obj.save()


@transaction.atomic
def apply(parsed: _Parsed) -> LoadReport:
    report = LoadReport()
    # One row: update it in place (an explicit pk would leave PostgreSQL's sequence behind).
    initiative = Initiative.objects.first() or Initiative()
    for name, value in parsed.initiative.items():
        setattr(initiative, name, value)
    initiative.full_clean()
    initiative.save()
    releases = {}
    for r in parsed.releases:
        releases[r["key"]] = _upsert(
            Release, r["key"], {k: v for k, v in r.items() if k != "key"}, report, "releases"
        )
    for m in parsed.milestones:
        values = {k: v for k, v in m.items() if k not in ("key", "status", "release")}
        values["release"] = releases[m["release"]]
        _upsert(Milestone, m["key"], values, report, "milestones", seed={"status": m["status"]})
    for s in parsed.subprojects:
        values = {
            k: v
            for k, v in s.items()
            if k not in ("key", "stage", "beta_target", "production_target")
        }
        sp = _upsert(Subproject, s["key"], values, report, "subprojects")
        targets = {
            "beta_target": releases.get(s["beta_target"]) if s["beta_target"] else None,
            "production_target": releases.get(s["production_target"])
            if s["production_target"]
            else None,
        }
        migration = Migration.objects.filter(subproject=sp).first()
        if migration is None:
            migration = Migration(subproject=sp, stage=s["stage"], **targets)
            save_with_history(migration, user=None, reason=FILE_REASON)
        elif any(getattr(migration, k) != v for k, v in targets.items()):
            for k, v in targets.items():
                setattr(migration, k, v)
            save_with_history(migration, user=None, reason=FILE_REASON)
    from fedimage.health.loader import apply_images  # imported here: see parse()

    apply_images(parsed.images, report)
    from trackers.loader import apply_trackers  # imported here: see parse()

    apply_trackers(parsed.trackers, report)
    for model, kind, keys in (
        (Release, "releases", [r["key"] for r in parsed.releases]),
        (Milestone, "milestones", [m["key"] for m in parsed.milestones]),
        (Subproject, "subprojects", [s["key"] for s in parsed.subprojects]),
    ):
        extra = list(model.objects.exclude(key__in=keys).values_list("key", flat=True))
        if extra:
            report.not_in_file[kind] = extra
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
