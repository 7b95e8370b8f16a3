"""Reads of image health, shaped for the grid, the image page, the summary, the API and tasks.

Pages read only what they show, in a fixed number of queries whatever the data: each tag's
history strip and build cadence are kept on its row by every poll, so the grid and the summaries
embedded in other pages read no samples and no digest records at all; the image page reads its
own tags' newest digests (never their per-architecture details) and a page of state changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from fedimage.core import samples
from fedimage.health.models import (
    DigestRecord,
    HealthState,
    StateChange,
    TagState,
    WatchedImage,
)
from fedimage.health.states import STATE_RANK, StateLook, look, worst
from fedimage.initiative.models import Milestone, Subproject

GRID_PAGE_SIZE = 10
DIGESTS_SHOWN = 20
CHANGES_PAGE_SIZE = 50

# What the summaries embedded in other pages show of a tag, and what the grid adds.
SUMMARY_TAG_FIELDS = ("id", "image_id", "tag", "order", "state", "reason", "built_at",
                      "digest_seen_at", "state_since",
                      # CI's verdict on the current build (written by fedimage.ci)
                      "digest", "test_verdict", "test_words", "test_url",
                      "test_digest")  # fmt: skip
GRID_TAG_FIELDS = (*SUMMARY_TAG_FIELDS, "arches", "version", "built_source", "base_words",
                   "blocker_id", "recent", "cadence", "signed")  # fmt: skip
IMAGE_FIELDS = ("id", "key", "name", "registry", "repository", "expected_arches", "order",
                "max_age_hours", "signature_expected", "subproject", "milestone", "base",
                "grace_hours", "insecure", "notes", "active", "tags", "signature_kind",
                "signature_lookaside")  # fmt: skip
DIGEST_FIELDS = ("id", "tag_id", "digest", "first_seen", "built_at", "built_source", "version",
                 "arches", "signed")  # fmt: skip


def active_images() -> QuerySet[WatchedImage]:
    """The images polls are asked for, with what asking needs (their tags); never `make
    demo`'s sample image (its registry is made up)."""
    return (
        WatchedImage.objects.filter(active=True)
        .exclude(pk__in=samples.ids(WatchedImage))
        .only("id", "tags")
        .order_by("order", "key")
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


@dataclass(frozen=True)
class Mark:
    """One check in a tag's history strip."""

    at: datetime
    state: str

    @property
    def look(self) -> StateLook:
        return look(self.state)


@dataclass
class TagRow:
    """One tag as the grid, the image page and the summaries show it."""

    state: TagState
    cells: list[ArchCell]  # one per expected architecture, in the image's order
    extra_arches: list[str]
    strip: list[Mark]
    age: timedelta | None
    digests: list[DigestRecord] = field(default_factory=list)
    digest_count: int = 0

    @property
    def look(self) -> StateLook:
        return look(self.state.state)

    @property
    def cadence(self) -> timedelta | None:
        return self.state.cadence


@dataclass
class ImageRow:
    image: WatchedImage
    tags: list[TagRow] = field(default_factory=list)

    @property
    def worst(self) -> str:
        return worst([row.state.state for row in self.tags])

    @property
    def worst_look(self) -> StateLook:
        return look(self.worst)

    @property
    def counts(self) -> list[tuple[StateLook, int]]:
        found: dict[str, int] = {}
        for row in self.tags:
            found[row.state.state] = found.get(row.state.state, 0) + 1
        return [(look(s), found[s.value]) for s in HealthState if s.value in found]


def _tag_row(image: WatchedImage, state: TagState, now: datetime, *, grid: bool) -> TagRow:
    # Only these states come from a reading of the tag's current content: a missing, unreachable
    # or garbage tag keeps its last digest and arches, which say nothing about it now.
    read = state.state in (HealthState.HEALTHY, HealthState.STALE, HealthState.DEGRADED)
    built = state.built_at or state.digest_seen_at
    if not grid:
        return TagRow(
            state=state, cells=[], extra_arches=[], strip=[], age=now - built if built else None
        )
    cells = [ArchCell(a, (a in state.arches) if read else None) for a in image.expected_arches]
    strip = [
        Mark(datetime.fromisoformat(at), value)
        for at, value in state.recent
        if isinstance(at, str) and isinstance(value, str)
    ]
    return TagRow(
        state=state,
        cells=cells,
        extra_arches=[a for a in state.arches if a not in image.expected_arches],
        strip=strip,
        age=now - built if built else None,
    )


def _images(
    *, subproject: Subproject | None, milestone: Milestone | None
) -> QuerySet[WatchedImage]:
    qs = WatchedImage.objects.filter(active=True).order_by("order", "key")
    if subproject is not None:
        qs = qs.filter(subproject=subproject)
    if milestone is not None:
        qs = qs.filter(milestone=milestone)
    return qs


def _active_tags(fields: tuple[str, ...]) -> QuerySet[TagState]:
    return TagState.objects.filter(active=True).only(*fields).order_by("order", "tag")


def health_grid(
    *, subproject: Subproject | None = None, milestone: Milestone | None = None
) -> list[ImageRow]:
    """Every active image with its tags' states and reasons: what pages embedding health show.

    Two queries; no history, no architecture cells (the grid page has those).
    """
    now = timezone.now()
    images = (
        _images(subproject=subproject, milestone=milestone)
        .only("id", "key", "name", "registry", "repository", "order")
        .prefetch_related(
            Prefetch("tag_states", queryset=_active_tags(SUMMARY_TAG_FIELDS), to_attr="active_tags")
        )
    )
    return [
        ImageRow(image, [_tag_row(image, s, now, grid=False) for s in image.active_tags])  # type: ignore[attr-defined]
        for image in images
    ]


@dataclass
class GridPage:
    page: Page
    rows: list[ImageRow]


def health_grid_page(*, page: int | str | None = 1, per_page: int = GRID_PAGE_SIZE) -> GridPage:
    """One page of the grid: images, tags by architecture, each tag with its strip and cadence."""
    now = timezone.now()
    images = (
        _images(subproject=None, milestone=None)
        .select_related("subproject", "milestone", "base")
        .only(
            *IMAGE_FIELDS,
            "subproject__key",
            "subproject__name",
            "milestone__key",
            "milestone__title",
            "base__key",
            "base__name",
        )
    )
    current = Paginator(images, per_page).get_page(page)
    rows = list(current.object_list)
    tags = _active_tags(GRID_TAG_FIELDS).filter(image__in=rows)
    by_image: dict[int, list[TagState]] = {}
    for state in tags:
        by_image.setdefault(state.image_id, []).append(state)
    return GridPage(
        page=current,
        rows=[
            ImageRow(
                image, [_tag_row(image, s, now, grid=True) for s in by_image.get(image.pk, [])]
            )
            for image in rows
        ],
    )


def image_get(*, key: str) -> WatchedImage:
    return get_object_or_404(
        WatchedImage.objects.select_related("subproject", "milestone", "base"), key=key
    )


def image_rows(*, image: WatchedImage) -> ImageRow:
    """The image page's tags: grid rows plus each tag's newest digests (three queries)."""
    now = timezone.now()
    newest = DigestRecord.objects.only(*DIGEST_FIELDS).order_by("-first_seen", "-id")
    states = list(
        _active_tags(GRID_TAG_FIELDS)
        .filter(image=image)
        .prefetch_related(
            Prefetch("digests", queryset=newest[:DIGESTS_SHOWN], to_attr="newest_digests")
        )
    )
    counts = dict(
        DigestRecord.objects.filter(tag__in=states)
        .order_by()
        .values("tag_id")
        .annotate(n=Count("pk"))
        .values_list("tag_id", "n")
    )
    rows = []
    for state in states:
        row = _tag_row(image, state, now, grid=True)
        row.digests = state.newest_digests  # type: ignore[attr-defined]
        row.digest_count = counts.get(state.pk, 0)
        rows.append(row)
    return ImageRow(image=image, tags=rows)


def image_changes(*, image: WatchedImage, page: int | str | None = 1) -> Page:
    """A page of the image's state changes, newest first."""
    changes = (
        StateChange.objects.filter(tag__image=image)
        .select_related("tag")
        .only("id", "at", "old_state", "new_state", "reason", "tag__tag")
        .order_by("-at", "-id")
    )
    return Paginator(changes, CHANGES_PAGE_SIZE).get_page(page)


def image_digest_history(*, image: WatchedImage) -> QuerySet[DigestRecord]:
    """Every digest the image's tags pointed at, newest first (without the layer details)."""
    return (
        DigestRecord.objects.filter(tag__image=image)
        .select_related("tag")
        .only(*DIGEST_FIELDS, "media_type", "tag__tag")
        .order_by("-first_seen", "-id")
    )


def image_change_history(*, image: WatchedImage) -> QuerySet[StateChange]:
    """Every state change of the image's tags, newest first."""
    return StateChange.objects.filter(tag__image=image).select_related("tag").order_by("-at", "-id")


def tag_list() -> QuerySet[TagState]:
    """Every active tag of every active image (the API's list)."""
    return (
        TagState.objects.filter(active=True, image__active=True)
        .select_related("image")
        .defer("recent", "arch_builds")
        .order_by("image__order", "image__key", "order", "tag")
    )


def image_list() -> QuerySet[WatchedImage]:
    """Active watched images with their active tags (the API's list)."""
    tags = (
        TagState.objects.filter(active=True).defer("recent", "arch_builds").order_by("order", "tag")
    )
    return (
        WatchedImage.objects.filter(active=True)
        .select_related("subproject", "milestone", "base")
        .prefetch_related(Prefetch("tag_states", queryset=tags, to_attr="active_tags"))
        .order_by("order", "key")
    )


def state_counts(
    *, subproject: Subproject | None = None, milestone: Milestone | None = None
) -> list[tuple[StateLook, int]]:
    """(look, count) over every active tag of the active images, worst first, zeros left out."""
    tags = TagState.objects.filter(active=True, image__active=True)
    if subproject is not None:
        tags = tags.filter(image__subproject=subproject)
    if milestone is not None:
        tags = tags.filter(image__milestone=milestone)
    counts = dict(tags.order_by().values("state").annotate(n=Count("pk")).values_list("state", "n"))
    ordered = sorted(HealthState, key=lambda s: STATE_RANK[s], reverse=True)
    return [(look(s), counts[s.value]) for s in ordered if counts.get(s.value)]


def rows_counts(rows: list[ImageRow]) -> list[tuple[StateLook, int]]:
    """(look, count) over the tags of some rows already read, worst first."""
    counts: dict[str, int] = {}
    for row in rows:
        for tag in row.tags:
            counts[tag.state.state] = counts.get(tag.state.state, 0) + 1
    ordered = sorted(HealthState, key=lambda s: STATE_RANK[s], reverse=True)
    return [(look(s), counts[s.value]) for s in ordered if counts.get(s.value)]
