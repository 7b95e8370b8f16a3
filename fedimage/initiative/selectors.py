"""Reads of the initiative domain, shaped for pages, the API and tasks alike."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404
from django.utils import timezone

from fedimage.core.text import from_visible
from fedimage.initiative.models import (
    CLOSED_BLOCKER_STATUSES,
    SEVERITY_RANK,
    Blocker,
    BlockerStatus,
    Initiative,
    Migration,
    Milestone,
    MilestoneStatus,
    Release,
    ReviewState,
    Severity,
    Stage,
    Subproject,
)
from fedimage.initiative.rules import can_see_private

# Open: not closed, and not rejected by the meeting (a rejected blocker stands in nobody's way).
OPEN_BLOCKERS = ~Q(status__in=CLOSED_BLOCKER_STATUSES) & ~Q(review_state=ReviewState.REJECTED)
_OPEN_STATUSES = [s for s in BlockerStatus if s not in CLOSED_BLOCKER_STATUSES]
_NOT_REJECTED = [s for s in ReviewState if s != ReviewState.REJECTED]
# (total, closed) tracked issues linked to a milestone or subproject, by its pk.
IssueCounts = Mapping[int, tuple[int, int]]


def active_users(*, usernames: Iterable[str] | None = None) -> QuerySet:
    """People who may be named (owners, attendees), by user name; only those named, if given."""
    qs = get_user_model().objects.filter(is_active=True).order_by("username")
    return qs if usernames is None else qs.filter(username__in=list(usernames))


def blockers_visible_to(user) -> QuerySet[Blocker]:
    qs = Blocker.objects.all()
    return qs if can_see_private(user) else qs.filter(private=False)


def blocker_list(*, user, filters: dict | None = None) -> QuerySet[Blocker]:
    """Blockers the user may see, with everything a list row shows already fetched.

    The `upstream_fixed` filter and flag are the trackers app's: see
    trackers.selectors.blockers_with_flags.
    """
    qs = (
        blockers_visible_to(user)
        .select_related("reporter", "owner")
        .prefetch_related(
            Prefetch("milestones", queryset=Milestone.objects.select_related("release")),
            "subprojects",
        )
    )
    filters = filters or {}
    if filters.get("status") == "unresolved":
        qs = qs.filter(OPEN_BLOCKERS)
    elif filters.get("status"):
        qs = qs.filter(status=filters["status"])
    for name in ("severity", "category", "review_state"):
        if filters.get(name):
            qs = qs.filter(**{name: filters[name]})
    if filters.get("milestone"):
        qs = qs.filter(milestones=filters["milestone"])
    if filters.get("subproject"):
        qs = qs.filter(subprojects=filters["subproject"])
    if filters.get("release"):
        qs = qs.filter(milestones__release=filters["release"]).distinct()
    if filters.get("q"):
        text = from_visible(filters["q"])  # a title as shown: ⟨U+202E⟩ is the character
        qs = qs.filter(Q(title__icontains=text) | Q(description__icontains=text))
    return qs


def blocker_get(*, user, pk: int) -> Blocker:
    return get_object_or_404(blocker_list(user=user), pk=pk)


def blocker_submitted(*, submission: uuid.UUID) -> Blocker | None:
    """The blocker a filing form's one-time token filed, if that form was sent already."""
    return Blocker.objects.filter(submission=submission).first()


def open_blockers_by_severity(*, user) -> list[tuple[str, str, int]]:
    """(severity, label, count) for every severity, most severe first, zeros included."""
    counts = dict(
        blockers_visible_to(user)
        .filter(OPEN_BLOCKERS)
        .values_list("severity")
        .annotate(n=Count("id"))
        .values_list("severity", "n")
    )
    return [(s.value, s.label, counts.get(s.value, 0)) for s in Severity]


def open_blocker_counts() -> dict[str, int]:
    """Open blockers (private ones too) by severity, zeros included: for the metrics."""
    counts = dict(
        Blocker.objects.filter(OPEN_BLOCKERS)
        .order_by()
        .values_list("severity")
        .annotate(n=Count("id"))
        .values_list("severity", "n")
    )
    return {s.value: counts.get(s.value, 0) for s in Severity}


def milestone_queryset(user) -> QuerySet[Milestone]:
    # Rejected blockers leave the milestone's counts and progress altogether.
    visible = Q(blockers__review_state__in=_NOT_REJECTED)
    if not can_see_private(user):
        visible &= Q(blockers__private=False)
    open_ = Q(blockers__status__in=_OPEN_STATUSES)
    # Aggregating queries ignore Meta.ordering, so the plan order is restated here.
    return (
        Milestone.objects.select_related("release")
        .order_by("release__order", "order", "target_date", "key")
        .annotate(
            blockers_total=Count("blockers", filter=visible, distinct=True),
            blockers_open=Count("blockers", filter=visible & open_, distinct=True),
            blockers_critical=Count(
                "blockers",
                filter=visible & open_ & Q(blockers__severity=Severity.CRITICAL),
                distinct=True,
            ),
        )
    )


def _stage_counts() -> tuple[dict[int, int], int]:
    """How many migrating subprojects have reached at least each stage, and how many migrate."""
    stages = list(
        Migration.objects.exclude(subproject__kind=Subproject.Kind.BASE).values_list(
            "stage", flat=True
        )
    )
    return {s.value: sum(1 for v in stages if v >= s.value) for s in Stage}, len(stages)


def attach_linked_issues(objects: list[Any], *, issue_counts: IssueCounts) -> list[Any]:
    """Attach (total, closed) linked tracker issues to milestones or subprojects (0 if absent)."""
    for obj in objects:
        obj.tracker_issues_total, obj.tracker_issues_closed = issue_counts.get(obj.pk, (0, 0))
    return objects


def attach_progress(milestones: list[Any], *, issue_counts: IssueCounts) -> list[Any]:
    """Derive each milestone's progress from its linked work, never from a typed figure.

    A milestone tied to a migration stage counts the subprojects that reached it; any other
    counts its closed blockers together with its closed linked tracker issues, which the
    caller counts (trackers.selectors.linked_issue_counts: the issues its `tracker_labels`
    and `tracker_milestones` name). Without linked work the progress is unknown (None).
    """
    reached, migrating = (
        _stage_counts() if any(m.migration_stage is not None for m in milestones) else ({}, 0)
    )
    attach_linked_issues(milestones, issue_counts=issue_counts)
    for m in milestones:
        blockers, issues = m.blockers_total, m.tracker_issues_total
        if m.migration_stage is not None and migrating:
            done, total, unit = reached[m.migration_stage], migrating, "subprojects there"
        elif blockers or issues:
            done = (blockers - m.blockers_open) + m.tracker_issues_closed
            total = blockers + issues
            counted = [what for what, n in (("issues", issues), ("blockers", blockers)) if n]
            unit = f"{' and '.join(counted)} closed"
        else:
            m.progress, m.progress_label = None, "No linked work yet"
            continue
        m.progress = round(100 * done / total)
        m.progress_label = f"{done} of {total} {unit}"
    return milestones


def milestone_list(*, user, release: Release | None = None) -> QuerySet[Milestone]:
    """Milestones in plan order with their blocker counts; progress: attach_progress."""
    qs = milestone_queryset(user)
    return qs.filter(release=release) if release is not None else qs


def milestone_get(*, user, key: str) -> Milestone:
    return get_object_or_404(milestone_queryset(user), key=key)


def release_list(*, milestones: list[Milestone]) -> list[Release]:
    """Releases in plan order, each with its milestones (as given) and their status counts."""
    releases = list(Release.objects.all())
    by_release: dict[int, list[Milestone]] = {r.pk: [] for r in releases}
    for m in milestones:
        by_release[m.release_id].append(m)
    for r in releases:
        r.milestone_rows = by_release[r.pk]
        r.status_counts = _status_counts(r.milestone_rows)
    return releases


def _status_counts(milestones: list[Milestone]) -> list[tuple[str, str, int]]:
    counts = {s.value: 0 for s in MilestoneStatus}
    for m in milestones:
        counts[m.status] += 1
    return [(s.value, s.label, counts[s.value]) for s in MilestoneStatus if counts[s.value]]


def milestone_choices() -> QuerySet[Milestone]:
    """Milestones to pick from (forms, API input), in plan order, with their release."""
    return Milestone.objects.select_related("release")


def subproject_choices() -> QuerySet[Subproject]:
    """Subprojects to pick from (forms, API input), in plan order."""
    return Subproject.objects.all()


def release_queryset() -> QuerySet[Release]:
    """Every release, in plan order."""
    return Release.objects.all()


def release_get(*, key: str) -> Release:
    return get_object_or_404(Release, key=key)


def next_milestone(*, today: date | None = None) -> Milestone | None:
    """The nearest milestone still to reach, with a target date today or later."""
    today = today or timezone.localdate()
    return (
        Milestone.objects.select_related("release")
        .exclude(status=MilestoneStatus.DONE)
        .filter(target_date__gte=today)
        .order_by("target_date", "order")
        .first()
    )


def subproject_list(*, user) -> QuerySet[Subproject]:
    visible = Q(blockers__review_state__in=_NOT_REJECTED)
    if not can_see_private(user):
        visible &= Q(blockers__private=False)
    return (
        Subproject.objects.select_related("migration__beta_target", "migration__production_target")
        .order_by("order", "name")
        .annotate(
            blockers_open=Count(
                "blockers",
                filter=visible & Q(blockers__status__in=_OPEN_STATUSES),
                distinct=True,
            )
        )
    )


def subproject_get(*, user, key: str) -> Subproject:
    return get_object_or_404(subproject_list(user=user), key=key)


@dataclass(frozen=True)
class MatrixCell:
    """One subproject-by-stage cell of the migration matrix, said in words and a colour class."""

    state: str  # reached | current | due | overdue | later
    words: str


@dataclass(frozen=True)
class MatrixRow:
    subproject: Subproject
    migration: Migration | None
    cells: list[MatrixCell]
    verdict: str  # on-track | behind | done | provider
    verdict_words: str
    evidence: object | None = None  # fedimage.health's EvidenceVerdict, attached by the view


def _cell(migration: Migration, stage: Stage, today: date) -> MatrixCell:
    target = migration.target_for(stage)
    deadline = target.final_target if target else None
    if migration.stage >= stage:
        return MatrixCell("reached", "Reached")
    if target and deadline and today > deadline:
        return MatrixCell("overdue", f"Overdue: due {target.name}")
    if migration.stage == stage - 1:
        return MatrixCell("current", f"Next{f', due {target.name}' if target else ''}")
    if target:
        return MatrixCell("due", f"Due {target.name}")
    return MatrixCell("later", "Not yet")


def migration_matrix(*, user, today: date | None = None) -> list[MatrixRow]:
    """The centrepiece: every subproject against every stage and the plan's targets."""
    today = today or timezone.localdate()
    return [matrix_row(sp, today=today) for sp in subproject_list(user=user)]


def matrix_row(subproject: Subproject, *, today: date | None = None) -> MatrixRow:
    """One subproject's row of the matrix (its migration fetched with it by subproject_list)."""
    today = today or timezone.localdate()
    migration = getattr(subproject, "migration", None)
    if subproject.kind == Subproject.Kind.BASE or migration is None:
        return MatrixRow(subproject, migration, [], "provider", "Provides the base images")
    cells = [_cell(migration, stage, today) for stage in Stage if stage != Stage.OWN_BASE]
    if migration.stage == Stage.PRODUCTION:
        verdict = ("done", "Migrated to production")
    elif any(c.state == "overdue" for c in cells):
        verdict = ("behind", "Behind the plan")
    else:
        verdict = ("on-track", "On schedule")
    return MatrixRow(subproject, migration, cells, *verdict)


def migration_list() -> QuerySet[Migration]:
    return Migration.objects.select_related("subproject", "beta_target", "production_target")


def initiative_get() -> Initiative | None:
    return Initiative.objects.first()


def blocker_release_links(*, user, releases: list[Release]) -> dict[int, set[int]]:
    """The releases (ids) each blocker the user may see touches through its milestones."""
    links: dict[int, set[int]] = {}
    for blocker_id, release_id in (
        blockers_visible_to(user)
        .filter(milestones__release__in=releases)
        .values_list("pk", "milestones__release")
        .distinct()
    ):
        links.setdefault(blocker_id, set()).add(release_id)
    return links


def dated_milestones() -> QuerySet[Milestone]:
    """Milestones with a target date, with their release (the calendar feed)."""
    return Milestone.objects.select_related("release").exclude(target_date=None)


def blocker_ids(*, user, filters: dict) -> list[int]:
    """Every matching blocker's id (a page's history covers them all, not only those shown)."""
    return list(blocker_list(user=user, filters=filters).values_list("pk", flat=True))


def recently_changed_blockers(*, user, limit: int) -> list[Blocker]:
    """The blockers the user may see, latest change first (the Atom feed)."""
    return list(blocker_list(user=user).order_by("-updated_at", "-id")[:limit])


def release_blocker_ids(*, user, release: Release) -> list[int]:
    """The blockers the user may see that touch any milestone of the release."""
    return list(
        blockers_visible_to(user)
        .filter(milestones__release=release)
        .values_list("pk", flat=True)
        .distinct()
    )


def severity_sort_key(blocker: Blocker) -> tuple[int, float]:
    """Most severe first, then the oldest (the one waiting longest)."""
    return SEVERITY_RANK[blocker.severity], blocker.created_at.timestamp()


# The orders a list of blockers offers, the first its default: (key, words, ORDER BY).
BLOCKER_ORDERS: list[tuple[str, str, tuple[str, ...]]] = [
    ("severity", "Severity, then oldest", ("closed_rank", "severity_rank", "created_at", "id")),
    ("oldest", "Oldest first", ("created_at", "id")),
    ("newest", "Newest first", ("-created_at", "-id")),
    ("updated", "Recently changed", ("-updated_at", "-id")),
]


def blockers_ordered(blockers: QuerySet[Blocker], order: str = "") -> QuerySet[Blocker]:
    """Blockers in one of BLOCKER_ORDERS (by default unresolved first, most severe, oldest)."""
    fields = {key: by for key, _, by in BLOCKER_ORDERS}.get(order, BLOCKER_ORDERS[0][2])
    return blockers.annotate(
        closed_rank=Case(
            When(~OPEN_BLOCKERS, then=Value(1)),  # closed, or rejected by the meeting
            default=Value(0),
            output_field=IntegerField(),
        ),
        severity_rank=Case(
            *(When(severity=s, then=Value(rank)) for s, rank in SEVERITY_RANK.items()),
            default=Value(len(SEVERITY_RANK)),
            output_field=IntegerField(),
        ),
    ).order_by(*fields)


def most_pressing_first(blockers: QuerySet[Blocker]) -> QuerySet[Blocker]:
    """Unresolved before closed, then most severe, then oldest: ordered in SQL, so it slices."""
    return blockers_ordered(blockers)
