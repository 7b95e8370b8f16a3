"""The initiative's sections of the initiative file: the initiative, releases, milestones,
subprojects and their migration.

Loading is idempotent: rows are matched on their `key`, fields the file owns are updated when
they differ, and the statuses the file gives (`status`, `stage`) only seed rows it creates:
after that, leads set them in the dashboard. A milestone's target date and owner, which leads
also edit on its page, change on a reload only when the file's own value changed since the
last load: an edit on the page stands until the file says something new. Registered in
InitiativeConfig.ready(); the file as a whole is read by fedimage.core.initiative_file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fedimage.core.initiative_file import (
    InitiativeFileError,
    LoadReport,
    Locator,
    Reader,
    Section,
    array,
    unique,
)
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
# Milestone fields leads also edit on the page: the file's value wins only when it changed in
# the file since the last load (Milestone.file_values keeps what the file said).
LEAD_EDITABLE = ("target_date", "owner")
# Each name becomes a condition of the progress query: keep the lists short.
MAX_TRACKER_NAMES = 20


@dataclass
class InitiativeSection:
    """The validated initiative, releases, milestones and subprojects of the file."""

    initiative: dict[str, Any]
    releases: list[dict[str, Any]]
    milestones: list[dict[str, Any]]
    subprojects: list[dict[str, Any]]

    @property
    def subproject_keys(self) -> list[str]:
        return [s["key"] for s in self.subprojects]

    @property
    def milestone_keys(self) -> list[str]:
        return [m["key"] for m in self.milestones]


def parse(loc: Locator, data: dict[str, Any], parsed: Mapping[str, Any]) -> InitiativeSection:
    """Validate the initiative's tables before anything is written."""
    top = Reader(loc, "initiative", None, data.get("initiative", {}))
    top.only({"name", "lead", "sponsor", "matrix_room", "wiki_url", "summary"})
    initiative = {
        "name": top.text("name", required=True),
        "lead": top.text("lead"),
        "sponsor": top.text("sponsor"),
        "matrix_room": top.text("matrix_room"),
        "wiki_url": top.url("wiki_url"),
        "summary": top.text("summary", max_length=2000, multiline=True),
    }

    releases: list[dict[str, Any]] = []
    for i, table in enumerate(array(loc, data, "releases")):
        r = Reader(loc, "releases", i, table)
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
                "order": r.small_int("order", i),
                "beta_target": r.day("beta_target"),
                "final_target": r.day("final_target"),
                "released_on": r.day("released_on"),
                "end_of_life": r.day("end_of_life"),
                "notes": r.text("notes", max_length=2000, multiline=True),
            }
        )
        r.in_order("beta_target", "final_target", "end_of_life")
        r.in_order("released_on", "end_of_life")
    release_keys = unique(loc, "releases", [r["key"] for r in releases])
    if not releases:
        raise InitiativeFileError("line 1: releases: at least one [[releases]] table is required")

    statuses = {s.value.replace("_", "-"): s.value for s in MilestoneStatus}
    milestones: list[dict[str, Any]] = []
    for i, table in enumerate(array(loc, data, "milestones")):
        r = Reader(loc, "milestones", i, table)
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
                "description": r.text("description", max_length=5000, multiline=True),
                "owner": r.text("owner"),
                "target_date": r.day("target_date"),
                "stretch": r.get("stretch", bool, default=False),
                "status": r.choice("status", statuses, MilestoneStatus.NOT_STARTED),
                "migration_stage": r.choice("migration_stage", STAGE_NAMES, None),
                **links,
                "order": r.small_int("order", i),
            }
        )
    unique(loc, "milestones", [m["key"] for m in milestones])

    subprojects: list[dict[str, Any]] = []
    for i, table in enumerate(array(loc, data, "subprojects")):
        r = Reader(loc, "subprojects", i, table)
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
        for owner in owners:
            r.plain("owners", owner.strip())
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
                "description": r.text("description", max_length=5000, multiline=True),
                "owners": ", ".join(o.strip() for o in owners),
                "matrix_room": r.text("matrix_room"),
                "homepage": r.url("homepage"),
                "tracker_url": r.url("tracker_url"),
                **_tracker_links(r),
                "stage": r.choice("stage", STAGE_NAMES, Stage.OWN_BASE),
                **targets,
                "order": r.small_int("order", i),
            }
        )
    unique(loc, "subprojects", [s["key"] for s in subprojects])
    return InitiativeSection(initiative, releases, milestones, subprojects)


def _tracker_links(r: Reader) -> dict[str, list[str]]:
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
            if not isinstance(item, str) or not item.strip():
                r.fail(key, f"expected a list of names on one line each, got {item!r}")
            name = item.strip()
            r.plain(key, name)
            if len(name) > max_length:
                r.fail(key, f"'{name[:40]}...' is longer than {max_length} characters")
            if name in names:
                r.fail(key, f"'{name}' is listed twice")
            names.append(name)
        links[key] = names
    return links


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


def _json(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _save(obj) -> None:
    if hasattr(type(obj), "history"):
        save_with_history(obj, user=None, reason=FILE_REASON)
    else:
        obj.save()


def apply(parsed: InitiativeSection, report: LoadReport) -> None:
    """Write the initiative's rows (inside the load's transaction)."""
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
    current = {m.key: m.file_values for m in Milestone.objects.only("key", "file_values")}
    for m in parsed.milestones:
        values = {k: v for k, v in m.items() if k not in ("key", "status", "release")}
        values["release"] = releases[m["release"]]
        said = {name: _json(values[name]) for name in LEAD_EDITABLE}
        before = current.get(m["key"])
        if before is not None:
            # A field the file did not change keeps what a lead set on the milestone's page.
            for name in LEAD_EDITABLE:
                if name in before and before[name] == said[name]:
                    del values[name]
        values["file_values"] = said
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
    for model, kind, keys in (
        (Release, "releases", [r["key"] for r in parsed.releases]),
        (Milestone, "milestones", [m["key"] for m in parsed.milestones]),
        (Subproject, "subprojects", [s["key"] for s in parsed.subprojects]),
    ):
        extra = list(model.objects.exclude(key__in=keys).values_list("key", flat=True))
        if extra:
            report.not_in_file[kind] = extra


SECTION = Section(
    name="initiative",
    tables=("initiative", "releases", "milestones", "subprojects"),
    reports=("releases", "milestones", "subprojects"),
    parse=parse,
    apply=apply,
    order=0,
)
