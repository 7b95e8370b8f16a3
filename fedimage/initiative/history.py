"""The change feed: who changed what, when, old → new, read from django-simple-history.

Every page that shows changes reads them here, in a fixed number of queries whatever the
amount of history: the latest rows of each tracked model, their previous rows in one query,
and the names behind foreign keys in one query per related model.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Model, OuterRef, Q, QuerySet, Subquery

from fedimage.initiative.models import Blocker, Migration, Milestone, Release, Subproject
from fedimage.initiative.rules import can_see_private

FILE_REASON = "initiative file"


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str
    long_text: bool = False


@dataclass
class Change:
    when: datetime
    who: str
    kind: str  # created | changed | deleted
    model: str  # blocker | milestone | migration
    object_id: int
    object_label: str
    object_url: str
    reason: str = ""
    fields: list[FieldChange] = field(default_factory=list)
    # Entries of other apps' logs (a meeting's votes, decisions) say themselves what happened.
    words: str = ""
    detail: str = ""

    @property
    def from_file(self) -> bool:
        """Written by loading the initiative file, not by a person."""
        return self.reason == FILE_REASON

    @property
    def summary(self) -> str:
        if self.words:
            return self.words
        if self.kind == "created":
            return "filed" if self.model == "blocker" else "created"
        if self.kind == "deleted":
            return "deleted"
        if self.from_file:
            changed = ", ".join(f"{f.label.lower()} changed" for f in self.fields)
            return f"initiative file: {changed or 'reloaded'} in"
        if not self.fields:
            return "status confirmed" if self.model in ("milestone", "migration") else "saved"
        return "changed " + ", ".join(f.label.lower() for f in self.fields)


# (field name, label, related model for foreign keys, long text)
TRACKED: dict[str, list[tuple[str, str, Any, bool]]] = {
    "milestone": [
        ("status", "Status", None, False),
        ("target_date", "Target date", None, False),
        ("title", "Title", None, False),
        ("owner", "Owner", None, False),
        ("release_id", "Release", Release, False),
        ("stretch", "Stretch", None, False),
        ("tracker_labels", "Tracker labels", None, False),
        ("tracker_milestones", "Tracker milestones", None, False),
        ("status_note", "Status note", None, True),
        ("description", "Description", None, True),
    ],
    "migration": [
        ("stage", "Stage", None, False),
        ("beta_target_id", "Beta target", Release, False),
        ("production_target_id", "Production target", Release, False),
        ("evidence_url", "Evidence", None, False),
        ("note", "Note", None, True),
    ],
    "blocker": [
        ("title", "Title", None, False),
        ("status", "Status", None, False),
        ("severity", "Severity", None, False),
        ("category", "Category", None, False),
        ("owner_id", "Owner", "user", False),
        ("tracking_url", "Tracking issue", None, False),
        ("private", "Private", None, False),
        ("description", "Description", None, True),
    ],
}
# (reverse name of django-simple-history's m2m history rows, their foreign key, label, model)
M2M: dict[str, list[tuple[str, str, str, Any]]] = {
    "blocker": [
        ("historicalblocker_milestones_set", "milestone_id", "Milestones", Milestone),
        ("historicalblocker_subprojects_set", "subproject_id", "Subprojects", Subproject),
    ]
}
MODELS: dict[str, Any] = {
    "milestone": Milestone,
    "migration": Migration,
    "blocker": Blocker,
}


def _with_previous(qs: QuerySet) -> QuerySet:
    prev = qs.model.objects.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id"))
    return qs.annotate(
        prev_history_id=Subquery(prev.order_by("-history_id").values("history_id")[:1])
    )


def _display(model: type[Model], name: str, value, names: dict) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "—"
    base = name.removesuffix("_id")
    if name.endswith("_id"):
        return names.get((base, value), f"#{value}")
    choices = dict(getattr(model._meta.get_field(base), "flatchoices", []))
    return str(choices.get(value, value))


def change_feed(
    *,
    user,
    limit: int = 20,
    milestones: Iterable[int] | None = None,
    migrations: Iterable[int] | None = None,
    blockers: Iterable[int] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    origin: str = "any",
) -> list[Change]:
    """The latest changes, newest first; each filter given restricts that model, None means all.

    An empty iterable means "none of that model". `origin` "people" leaves out what loading
    the initiative file changed, "file" keeps only that, "any" keeps both.
    """
    filters = {"milestone": milestones, "migration": migrations, "blocker": blockers}
    rows: list[tuple[str, Any]] = []
    for name, model in MODELS.items():
        wanted = filters[name]
        # Rows the initiative file creates are configuration, not news.
        qs = model.history.select_related("history_user").exclude(
            history_type="+", history_change_reason=FILE_REASON
        )
        if origin == "people":
            qs = qs.exclude(history_change_reason=FILE_REASON)
        elif origin == "file":
            qs = qs.filter(history_change_reason=FILE_REASON)
        if wanted is not None:
            ids = list(wanted)
            if not ids:
                continue
            qs = qs.filter(id__in=ids)
        if name == "blocker" and not can_see_private(user):
            qs = qs.exclude(
                Q(private=True) | Q(id__in=Blocker.objects.filter(private=True).values("id"))
            )
        if since:
            qs = qs.filter(history_date__gt=since)
        if until:
            qs = qs.filter(history_date__lte=until)
        qs = qs.order_by("-history_date", "-history_id")
        if limit:
            # Pick the rows first, then look up their predecessors for those rows alone: a
            # correlated subquery over the whole filtered history would grow with it.
            top = list(qs.values_list("history_id", flat=True)[:limit])
            qs = model.history.filter(history_id__in=top).select_related("history_user")
        if name in M2M:
            qs = qs.prefetch_related(*(m[0] for m in M2M[name]))
        rows.extend((name, r) for r in _with_previous(qs))
    rows.sort(key=lambda pair: pair[1].history_date, reverse=True)
    if limit:
        rows = rows[:limit]
    return _describe(rows)


def _describe(rows: list[tuple[str, Any]]) -> list[Change]:
    previous: dict[tuple[str, int], Any] = {}
    for name, model in MODELS.items():
        prev_ids = [r.prev_history_id for n, r in rows if n == name and r.prev_history_id]
        if prev_ids:
            qs = model.history.filter(history_id__in=prev_ids)
            if name in M2M:
                qs = qs.prefetch_related(*(m[0] for m in M2M[name]))
            previous.update({(name, p.history_id): p for p in qs})
    names = _related_names(rows, previous)
    labels = _object_labels(rows)
    changes = []
    for name, row in rows:
        prev = previous.get((name, row.prev_history_id)) if row.prev_history_id else None
        kind = {"+": "created", "-": "deleted"}.get(row.history_type, "changed")
        fields = [] if kind != "changed" or prev is None else _diff(name, prev, row, names)
        label, url = labels.get((name, row.id), (f"{name} #{row.id}", ""))
        user = row.history_user
        changes.append(
            Change(
                when=row.history_date,
                who=user.get_username() if user else "fedimage",
                kind=kind,
                model=name,
                object_id=row.id,
                object_label=label,
                object_url=url,
                reason=row.history_change_reason or "",
                fields=fields,
            )
        )
    return changes


def _diff(name: str, old: Model, new: Model, names: dict) -> list[FieldChange]:
    model = MODELS[name]
    out = []
    for attr, label, _related, long_text in TRACKED[name]:
        a, b = getattr(old, attr), getattr(new, attr)
        if a != b:
            out.append(
                FieldChange(
                    label,
                    _display(model, attr, a, names),
                    _display(model, attr, b, names),
                    long_text,
                )
            )
    for rel, fk, label, _model in M2M.get(name, []):
        a = {getattr(x, fk) for x in getattr(old, rel).all()}
        b = {getattr(x, fk) for x in getattr(new, rel).all()}
        if a != b:
            out.append(
                FieldChange(
                    label,
                    ", ".join(sorted(names.get((fk.removesuffix("_id"), i), f"#{i}") for i in a))
                    or "—",
                    ", ".join(sorted(names.get((fk.removesuffix("_id"), i), f"#{i}") for i in b))
                    or "—",
                )
            )
    return out


def _related_names(rows, previous) -> dict[tuple[str, int], str]:
    """One query per related model for every foreign key value the rows mention."""
    wanted: dict[str, set[int]] = {}
    for name, row in [*rows, *((key[0], row) for key, row in previous.items())]:
        for attr, _label, related, _long in TRACKED[name]:
            if related is not None and getattr(row, attr) is not None:
                wanted.setdefault(attr.removesuffix("_id"), set()).add(getattr(row, attr))
        for rel, fk, _label, _model in M2M.get(name, []):
            for x in getattr(row, rel).all():
                wanted.setdefault(fk.removesuffix("_id"), set()).add(getattr(x, fk))
    sources: dict[str, tuple[Any, str]] = {
        "release": (Release, "name"),
        "beta_target": (Release, "name"),
        "production_target": (Release, "name"),
        "owner": (get_user_model(), "username"),
        "milestone": (Milestone, "title"),
        "subproject": (Subproject, "name"),
    }
    names: dict[tuple[str, int], str] = {}
    by_model: dict[tuple[Any, str], set[int]] = {}
    for base, ids in wanted.items():
        by_model.setdefault(sources[base], set()).update(ids)
    for (model, attr), ids in by_model.items():
        found = dict(model.objects.filter(pk__in=ids).values_list("pk", attr))
        for base, ids_for_base in wanted.items():
            if sources[base] == (model, attr):
                names.update({(base, i): found.get(i, f"#{i} (deleted)") for i in ids_for_base})
    return names


def _object_labels(rows) -> dict[tuple[str, int], tuple[str, str]]:
    """Current names and links of the changed objects (history rows may be renamed since)."""
    ids: dict[str, set[int]] = {}
    for name, row in rows:
        ids.setdefault(name, set()).add(row.id)
    labels: dict[tuple[str, int], tuple[str, str]] = {}
    if ids.get("milestone"):
        for m in Milestone.objects.filter(pk__in=ids["milestone"]).only("key", "title"):
            labels["milestone", m.pk] = (m.title, m.get_absolute_url())
    if ids.get("migration"):
        for mg in Migration.objects.filter(pk__in=ids["migration"]).select_related("subproject"):
            labels["migration", mg.pk] = (
                f"{mg.subproject.name} migration",
                mg.subproject.get_absolute_url(),
            )
    if ids.get("blocker"):
        for b in Blocker.objects.filter(pk__in=ids["blocker"]).only("title"):
            labels["blocker", b.pk] = (f"#{b.pk} {b.title}", b.get_absolute_url())
    return labels


# Value histories: what the charts rebuild week by week (one query each, oldest row first).
ValueRow = tuple[int, datetime, Any]


def blocker_status_history(*, ids: Iterable[int]) -> list[ValueRow]:
    """(blocker id, when, status) of each recorded row of these blockers; None once deleted."""
    return _values(Blocker.history.filter(id__in=list(ids)), "status")


def milestone_status_history(*, release: Release | None = None) -> list[ValueRow]:
    """(milestone id, when, status) of each recorded row, of one release's milestones or all."""
    history = Milestone.history.all()
    if release is not None:
        history = history.filter(id__in=Milestone.objects.filter(release=release).values("pk"))
    return _values(history, "status")


def migration_stage_history() -> list[ValueRow]:
    """(migration id, when, stage) of each recorded row, the base images' own left out."""
    history = Migration.history.exclude(subproject__kind=Subproject.Kind.BASE)
    return _values(history, "stage")


def _values(history: QuerySet, name: str) -> list[ValueRow]:
    rows = history.order_by("history_id").values_list("id", "history_date", name, "history_type")
    return [(i, when, None if kind == "-" else value) for i, when, value, kind in rows]
