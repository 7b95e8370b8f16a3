"""Reads of image health, shaped for the grid, the image page, the partial, the API and tasks.

Every list is read in a fixed number of queries whatever the number of images, tags, samples or
digests: recent samples and digests come through sliced prefetches (window functions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from statistics import median

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from fedimage.health.models import (
    STATE_RANK,
    BaseEvidence,
    DigestRecord,
    HealthState,
    Sample,
    StateChange,
    TagState,
    WatchedImage,
)
from fedimage.initiative.models import Milestone, Stage, Subproject

STRIP_LENGTH = 24
CADENCE_DIGESTS = 8


def active_image_ids() -> list[int]:
    return list(WatchedImage.objects.filter(active=True).values_list("pk", flat=True))


def _tags_prefetch(*, samples: int = STRIP_LENGTH, digests: int = CADENCE_DIGESTS) -> Prefetch:
    tags = (
        TagState.objects.filter(active=True)
        .select_related("blocker", "base_record__tag")
        .order_by("order", "tag")
        .prefetch_related(
            Prefetch(
                "samples",
                queryset=Sample.objects.order_by("-at", "-id")[:samples],
                to_attr="recent_samples",
            ),
            Prefetch(
                "digests",
                queryset=DigestRecord.objects.order_by("-first_seen", "-id")[:digests],
                to_attr="recent_digests",
            ),
        )
    )
    return Prefetch("tag_states", queryset=tags, to_attr="active_tags")


def image_list(
    *, subproject: Subproject | None = None, milestone: Milestone | None = None
) -> QuerySet[WatchedImage]:
    """Active watched images with their active tags, recent samples and digests fetched."""
    qs = (
        WatchedImage.objects.filter(active=True)
        .select_related("subproject", "milestone", "base")
        .prefetch_related(_tags_prefetch())
        .order_by("order", "key")
    )
    if subproject is not None:
        qs = qs.filter(subproject=subproject)
    if milestone is not None:
        qs = qs.filter(milestone=milestone)
    return qs


def image_get(*, key: str) -> WatchedImage:
    return get_object_or_404(
        WatchedImage.objects.select_related("subproject", "milestone", "base").prefetch_related(
            _tags_prefetch(samples=96, digests=50)
        ),
        key=key,
    )


def image_changes(*, image: WatchedImage, limit: int = 50) -> list[StateChange]:
    return list(
        StateChange.objects.filter(tag__image=image)
        .select_related("tag")
        .order_by("-at", "-id")[:limit]
    )


def tag_list() -> QuerySet[TagState]:
    """Every active tag of every active image (the API's list)."""
    return (
        TagState.objects.filter(active=True, image__active=True)
        .select_related("image", "blocker", "base_record__tag")
        .order_by("image__order", "image__key", "order", "tag")
    )


@dataclass(frozen=True)
class ArchCell:
    arch: str
    present: bool | None  # None: the tag's current content is not known

    @property
    def state(self) -> str:
        """A cell class of the shared stylesheet."""
        return {True: "reached", False: "overdue", None: "later"}[self.present]

    @property
    def words(self) -> str:
        return {True: "Built", False: "Missing", None: "Unknown"}[self.present]


@dataclass
class TagRow:
    """One tag as the grid and the image page show it."""

    state: TagState
    cells: list[ArchCell]  # one per expected architecture, in the image's order
    extra_arches: list[str]
    strip: list[Sample]
    digests: list[DigestRecord]
    age: timedelta | None
    cadence: timedelta | None


@dataclass
class ImageRow:
    image: WatchedImage
    tags: list[TagRow] = field(default_factory=list)

    @property
    def worst(self) -> str:
        states = [row.state.state for row in self.tags] or [HealthState.PENDING]
        return max(states, key=lambda s: STATE_RANK[HealthState(s)])

    @property
    def worst_label(self) -> str:
        return HealthState(self.worst).label

    @property
    def counts(self) -> list[tuple[str, str, int]]:
        found: dict[str, int] = {}
        for row in self.tags:
            found[row.state.state] = found.get(row.state.state, 0) + 1
        return [(s.value, s.label, found[s.value]) for s in HealthState if s.value in found]


def _cadence(digests: list[DigestRecord]) -> timedelta | None:
    """The typical time between builds: the median gap between the recent digests."""
    moments = sorted(d.built_at or d.first_seen for d in digests)
    gaps = [b - a for a, b in pairwise(moments) if b > a]
    # median only sorts, adds and halves, which timedeltas support; typeshed admits only numbers.
    return median(gaps) if gaps else None  # type: ignore[type-var]


def _tag_row(image: WatchedImage, state: TagState, now: datetime) -> TagRow:
    # Only these states come from a reading of the tag's current content: a missing, unreachable
    # or garbage tag keeps its last digest and arches, which say nothing about it now.
    read = state.state in (HealthState.HEALTHY, HealthState.STALE, HealthState.DEGRADED)
    cells = [ArchCell(a, (a in state.arches) if read else None) for a in image.expected_arches]
    built = state.built_at or state.digest_seen_at
    digests = getattr(state, "recent_digests", [])
    return TagRow(
        state=state,
        cells=cells,
        extra_arches=[a for a in state.arches if a not in image.expected_arches],
        strip=list(reversed(getattr(state, "recent_samples", []))),
        digests=digests,
        age=now - built if built else None,
        cadence=_cadence(digests),
    )


def health_grid(
    *, subproject: Subproject | None = None, milestone: Milestone | None = None
) -> list[ImageRow]:
    """Images by tags by architectures, each tag with its history strip, age and cadence."""
    now = timezone.now()
    return [
        # active_tags is set by the to_attr prefetch of image_list(), not a model field.
        ImageRow(image=image, tags=[_tag_row(image, s, now) for s in image.active_tags])  # type: ignore[attr-defined]
        for image in image_list(subproject=subproject, milestone=milestone)
    ]


def image_rows(*, image: WatchedImage) -> ImageRow:
    now = timezone.now()
    # active_tags comes from the to_attr prefetch the caller fetched the image with.
    return ImageRow(image=image, tags=[_tag_row(image, s, now) for s in image.active_tags])  # type: ignore[attr-defined]


@dataclass(frozen=True)
class EvidenceVerdict:
    """What a subproject declares about its base image against what the registry proves."""

    subproject: Subproject
    declared_on_base: bool
    proven: int
    disproven: int
    unknown: int
    max_behind: int | None

    @property
    def disagrees(self) -> bool:
        return (self.declared_on_base and self.disproven > 0 and self.proven == 0) or (
            not self.declared_on_base and self.proven > 0
        )

    @property
    def words(self) -> str:
        if self.proven == self.disproven == 0:
            return "No registry evidence yet"
        parts = []
        if self.proven:
            parts.append(f"{self.proven} tag(s) built on the base image")
        if self.disproven:
            parts.append(f"{self.disproven} tag(s) not built on it")
        if self.max_behind:
            parts.append(f"up to {self.max_behind} base builds behind")
        text = "; ".join(parts)
        if self.disagrees:
            declared = "on the base image" if self.declared_on_base else "on its own base"
            text = f"Disagrees with the declared stage ({declared}): {text}"
        return text


PROVEN = {BaseEvidence.LAYERS, BaseEvidence.ANNOTATION}
DISPROVEN = {BaseEvidence.NONE, BaseEvidence.NAMED_ONLY}


def base_evidence_by_subproject() -> dict[int, EvidenceVerdict]:
    """Declared migration stage against base-image evidence, per subproject (two queries)."""
    rows = (
        TagState.objects.filter(active=True, image__active=True, image__subproject__isnull=False)
        .exclude(base_evidence=BaseEvidence.NOT_APPLICABLE)
        .values_list("image__subproject_id", "base_evidence", "builds_behind")
    )
    tally: dict[int, list] = {}
    for subproject_id, evidence, behind in rows:
        t = tally.setdefault(subproject_id, [0, 0, 0, None])
        if evidence in PROVEN:
            t[0] += 1
            t[3] = max(t[3] or 0, behind or 0)
        elif evidence in DISPROVEN:
            t[1] += 1
        else:
            t[2] += 1
    subprojects = Subproject.objects.filter(pk__in=tally).select_related("migration")
    result = {}
    for sp in subprojects:
        migration = getattr(sp, "migration", None)
        # Published (beta or production) images are on the base only from the beta stage on.
        on_base = migration is not None and migration.stage >= Stage.BETA
        proven, disproven, unknown, behind = tally[sp.pk]
        result[sp.pk] = EvidenceVerdict(sp, on_base, proven, disproven, unknown, behind)
    return result


def state_counts(rows: list[ImageRow]) -> list[tuple[str, str, int]]:
    """(state, label, count) over every tag of the rows, worst first, zeros left out."""
    counts: dict[str, int] = {}
    for row in rows:
        for tag in row.tags:
            counts[tag.state.state] = counts.get(tag.state.state, 0) + 1
    ordered = sorted(HealthState, key=lambda s: STATE_RANK[s], reverse=True)
    return [(s.value, s.label, counts[s.value]) for s in ordered if counts.get(s.value)]
