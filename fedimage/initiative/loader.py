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

from datetime import date
from typing import Annotated, Any, Self

from pydantic import model_validator

from fedimage.core.file_schema import (
    FileSchema,
    SmallInt,
    Table,
    in_order,
    known,
    number_in_order,
    one_of,
    problem,
    slug,
    strings,
    text,
    unique,
    url,
)
from fedimage.core.initiative_file import LoadReport, Section, upsert_by_key
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
STATUS_NAMES = {s.value.replace("_", "-"): s.value for s in MilestoneStatus}
KIND_NAMES = {k.value: k.value for k in Subproject.Kind}
# Milestone fields leads also edit on the page: the file's value wins only when it changed in
# the file since the last load (Milestone.file_values keeps what the file said).
LEAD_EDITABLE = ("target_date", "owner")
# Each name becomes a condition of the progress query: keep the lists short. A label ends up
# in TrackedIssue.label_index, one per line; lengths follow TrackedIssue (milestone: 300) and
# the issue list's label filter (200).
MAX_TRACKER_NAMES = 20
TrackerLabels = Annotated[
    list[str],
    strings("names on one line each", max_count=MAX_TRACKER_NAMES, max_length=200, once=True),
]
TrackerMilestones = Annotated[
    list[str],
    strings("names on one line each", max_count=MAX_TRACKER_NAMES, max_length=300, once=True),
]
Line = Annotated[str, text()]
Notes = Annotated[str, text(5000, multiline=True)]


class InitiativeTable(Table):
    """`[initiative]`: who leads it and where it talks."""

    name: Annotated[str, text(required=True)]
    lead: Line = ""
    sponsor: Line = ""
    matrix_room: Line = ""
    wiki_url: Annotated[str, url()] = ""
    summary: Annotated[str, text(2000, multiline=True)] = ""


class ReleaseTable(Table):
    """`[[releases]]`: a Fedora release and its dates, in their order."""

    key: Annotated[str, slug(40)]
    name: Annotated[str, text(100, required=True)]
    order: SmallInt | None = None
    beta_target: date | None = None
    final_target: date | None = None
    released_on: date | None = None
    end_of_life: date | None = None
    notes: Annotated[str, text(2000, multiline=True)] = ""

    @model_validator(mode="after")
    def dates_in_order(self) -> Self:
        in_order(self, "beta_target", "final_target", "end_of_life")
        in_order(self, "released_on", "end_of_life")
        return self


class MilestoneTable(Table):
    """`[[milestones]]`: what a release should bring, and how its progress is counted."""

    key: Annotated[str, slug()]
    release: Annotated[str, text(40, required=True)]
    title: Annotated[str, text(required=True)]
    description: Notes = ""
    owner: Line = ""
    target_date: date | None = None
    stretch: bool = False
    status: Annotated[str, one_of(STATUS_NAMES)] = MilestoneStatus.NOT_STARTED.value
    migration_stage: Annotated[int, one_of(STAGE_NAMES)] | None = None
    tracker_labels: TrackerLabels = []
    tracker_milestones: TrackerMilestones = []
    order: SmallInt | None = None

    @model_validator(mode="after")
    def one_way_to_count_progress(self) -> Self:
        if self.migration_stage is not None and (self.tracker_labels or self.tracker_milestones):
            raise problem(
                "progress counts either the subprojects at migration_stage or linked issues; "
                "drop one of them",
                "tracker_labels" if self.tracker_labels else "tracker_milestones",
            )
        return self


def _fas_name(name: str) -> None:
    if "," in name:
        raise problem(f"'{name}' holds a comma: give one FAS name per item")


class SubprojectTable(Table):
    """`[[subprojects]]`: an edition or tool moving to image mode, and its targets."""

    key: Annotated[str, slug()]
    name: Annotated[str, text(120, required=True)]
    kind: Annotated[str, one_of(KIND_NAMES)] = Subproject.Kind.EDITION.value
    description: Notes = ""
    owners: Annotated[list[str], strings("FAS names", each=_fas_name)] = []
    matrix_room: Line = ""
    homepage: Annotated[str, url()] = ""
    tracker_url: Annotated[str, url()] = ""
    tracker_labels: TrackerLabels = []
    tracker_milestones: TrackerMilestones = []
    stage: Annotated[int, one_of(STAGE_NAMES)] = Stage.OWN_BASE.value
    beta_target: Annotated[str, text(40)] = ""
    production_target: Annotated[str, text(40)] = ""
    order: SmallInt | None = None

    @model_validator(mode="after")
    def owners_fit(self) -> Self:
        if len(", ".join(self.owners)) > 300:
            raise problem("longer than 300 characters in all", "owners")
        return self


class InitiativeSchema(FileSchema):
    """The initiative's tables; releases, milestones and subprojects keyed by `key`."""

    initiative: InitiativeTable
    releases: list[ReleaseTable] = []
    milestones: list[MilestoneTable] = []
    subprojects: list[SubprojectTable] = []

    @model_validator(mode="after")
    def keys_and_references(self) -> Self:
        if not self.releases:
            raise problem("at least one [[releases]] table is required", "releases")
        for name, tables in (
            ("releases", self.releases),
            ("milestones", self.milestones),
            ("subprojects", self.subprojects),
        ):
            unique(name, [t.key for t in tables])
            number_in_order(tables)
        releases = self.release_keys
        for i, m in enumerate(self.milestones):
            known(m.release, releases, "release", "milestones", i, "release")
        for i, s in enumerate(self.subprojects):
            for target in ("beta_target", "production_target"):
                known(getattr(s, target), releases, "release", "subprojects", i, target)
        return self

    @property
    def release_keys(self) -> list[str]:
        return [r.key for r in self.releases]

    @property
    def subproject_keys(self) -> list[str]:
        return [s.key for s in self.subprojects]

    @property
    def milestone_keys(self) -> list[str]:
        return [m.key for m in self.milestones]


def _json(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _save_with_history(row: Any, changed: list[str] | None) -> None:
    save_with_history(row, user=None, reason=FILE_REASON)


def apply(parsed: InitiativeSchema, report: LoadReport) -> None:
    """Write the initiative's rows (inside the load's transaction)."""
    # One row: update it in place (an explicit pk would leave PostgreSQL's sequence behind).
    initiative = Initiative.objects.first() or Initiative()
    for name, value in parsed.initiative.model_dump().items():
        setattr(initiative, name, value)
    initiative.full_clean()
    initiative.save()
    existing = {r.key: r for r in Release.objects.all()}
    releases = {
        r.key: upsert_by_key(Release, existing, r.model_dump(), report=report, kind="releases")
        for r in parsed.releases
    }
    milestones = {m.key: m for m in Milestone.objects.all()}
    for m in parsed.milestones:
        values = m.model_dump(exclude={"status"})
        values["release"] = releases[m.release]
        said = {name: _json(values[name]) for name in LEAD_EDITABLE}
        if m.key in milestones:
            # A field the file did not change keeps what a lead set on the milestone's page.
            before = milestones[m.key].file_values
            for name in LEAD_EDITABLE:
                if name in before and before[name] == said[name]:
                    del values[name]
        values["file_values"] = said
        upsert_by_key(
            Milestone,
            milestones,
            values,
            report=report,
            kind="milestones",
            seed={"status": m.status},
            save=_save_with_history,
        )
    subprojects = {s.key: s for s in Subproject.objects.all()}
    migrations = {m.subproject_id: m for m in Migration.objects.all()}
    for s in parsed.subprojects:
        values = s.model_dump(exclude={"stage", "beta_target", "production_target"})
        values["owners"] = ", ".join(s.owners)
        sp = upsert_by_key(Subproject, subprojects, values, report=report, kind="subprojects")
        targets = {
            "beta_target": releases[s.beta_target] if s.beta_target else None,
            "production_target": releases[s.production_target] if s.production_target else None,
        }
        migration = migrations.get(sp.pk)
        if migration is None:
            migration = Migration(subproject=sp, stage=s.stage, **targets)
            save_with_history(migration, user=None, reason=FILE_REASON)
        elif any(getattr(migration, k) != v for k, v in targets.items()):
            for k, v in targets.items():
                setattr(migration, k, v)
            save_with_history(migration, user=None, reason=FILE_REASON)
    for model, kind, keys in (
        (Release, "releases", parsed.release_keys),
        (Milestone, "milestones", parsed.milestone_keys),
        (Subproject, "subprojects", parsed.subproject_keys),
    ):
        extra = list(model.objects.exclude(key__in=keys).values_list("key", flat=True))
        if extra:
            report.not_in_file[kind] = extra


SECTION = Section(
    name="initiative",
    schema=InitiativeSchema,
    reports=("releases", "milestones", "subprojects"),
    apply=apply,
    order=0,
)
