"""Reads of the trackers app, shaped for pages, the API and tasks alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.shortcuts import get_object_or_404
from django.utils import timezone

from fedimage.core.references import parse_issue_reference
from fedimage.core.text import from_visible
from fedimage.initiative import selectors as initiative_selectors
from fedimage.initiative.models import AWAITING_FIX, Blocker, Milestone, Release, Subproject
from fedimage.initiative.rules import can_see_private
from trackers.models import IssueState, SyncRun, TrackedIssue, TrackerKind, TrackerSource

# A board column shows this many of its issues, with a link to all of them in the issue list.
BOARD_COLUMN_SHOWN = 30


def issues_visible_to(user) -> QuerySet[TrackedIssue]:
    """Confidential issues are for signed-in members only."""
    qs = TrackedIssue.objects.all()
    return qs if can_see_private(user) else qs.filter(confidential=False)


def source_list(*, enabled_only: bool = False) -> QuerySet[TrackerSource]:
    """Sources with what the status page shows: their last run, requests in the last 24 h.

    Issue counts are kept on the source by the sync; the 24 h sum reads only that day's runs
    of each source (index on source, started_at), so the page costs the same however long the
    ledger and however many issues.
    """
    since = timezone.now() - timedelta(hours=24)
    day = (
        SyncRun.objects.filter(source=OuterRef("pk"), started_at__gte=since)
        .order_by()
        .values("source")
        .annotate(total=Sum("requests"))
        .values("total")[:1]
    )
    qs = TrackerSource.objects.select_related("subproject", "last_run").annotate(
        requests_24h=Coalesce(Subquery(day, output_field=IntegerField()), 0)
    )
    qs = qs.order_by("order", "name")
    return qs.filter(enabled=True) if enabled_only else qs


def source_names() -> list[str]:
    return list(TrackerSource.objects.order_by("order", "name").values_list("name", flat=True))


def webhook_sources(*, kind: str) -> list[TrackerSource]:
    """Enabled sources of a tracker kind that name a webhook secret (the hook checks them)."""
    return list(
        TrackerSource.objects.filter(kind=kind, enabled=True).exclude(webhook_secret_env="")
    )


def source_last_successes() -> list[tuple[str, datetime | None]]:
    """(name, last successful sync) of every enabled source, for the sync lag metric."""
    return list(
        TrackerSource.objects.filter(enabled=True)
        .order_by("order", "name")
        .values_list("name", "last_success_at")
    )


def source_get(*, name: str) -> TrackerSource:
    return get_object_or_404(source_list(), name=name)


def run_list(*, source: TrackerSource | None = None) -> QuerySet[SyncRun]:
    """Runs, newest first (index sync_run_latest, or source and started_at)."""
    qs = SyncRun.objects.select_related("source").order_by("-started_at", "-id")
    return qs.filter(source=source) if source is not None else qs


def run_get(*, pk: int, source: TrackerSource | None = None) -> SyncRun:
    qs = run_list(source=source)
    return get_object_or_404(qs, pk=pk)


def issue_list(*, user, filters: dict[str, Any] | None = None) -> QuerySet[TrackedIssue]:
    """Tracked issues the user may see, filtered; removed ones only when asked for."""
    filters = filters or {}
    qs = issues_visible_to(user).select_related("source", "moved_to_issue")
    if not filters.get("removed"):
        qs = qs.filter(removed=False)
    if filters.get("source"):
        qs = qs.filter(source__name=filters["source"])
    elif filters.get("upstream"):
        qs = qs.filter(source__upstream=True)
    if filters.get("state") in IssueState.values:
        qs = qs.filter(state=filters["state"])
    if filters.get("label"):
        qs = qs.filter(label_index__contains=f"\n{filters['label']}\n")
    if filters.get("project"):
        qs = qs.filter(project=filters["project"])
    if filters.get("q"):
        qs = qs.filter(title__icontains=from_visible(filters["q"]))
    return qs


def board_get(*, name: str) -> TrackerSource:
    return get_object_or_404(TrackerSource, name=name, kind=TrackerKind.GITLAB)


@dataclass(frozen=True)
class BoardColumn:
    """One column of a board: its most recently updated issues, how many it holds in all,
    and the issue list's query string listing them all."""

    name: str
    issues: list[TrackedIssue]
    total: int
    query: str


def board_columns(
    *, user, source: TrackerSource, per_column: int = BOARD_COLUMN_SHOWN
) -> list[BoardColumn]:
    """The board's columns in order (Open first, Closed last), each with its newest issues.

    Two queries whatever the board's size: the counts per column, and the `per_column` most
    recently updated issues of each (a window function), without their bodies.
    """
    names = ["Open", *source.board_columns, "Closed"]
    held = issues_visible_to(user).filter(source=source, removed=False)
    totals: dict[str, int] = dict.fromkeys(names, 0)
    for column, n in held.values_list("board_column").annotate(n=Count("id")).order_by():
        totals[column or "Open"] = totals.get(column or "Open", 0) + n
    shown: dict[str, list[TrackedIssue]] = {name: [] for name in totals}
    newest = (
        held.defer("body")
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("board_column")],
                order_by=[F("updated_at").desc(), F("id").desc()],
            )
        )
        .filter(rank__lte=per_column)
        .order_by("-updated_at", "-id")
    )
    for issue in newest:
        shown[issue.board_column or "Open"].append(issue)
    return [
        BoardColumn(name, shown[name][:per_column], totals[name], _column_query(source, name))
        for name in totals
    ]


def _column_query(source: TrackerSource, column: str) -> str:
    if column in ("Open", "Closed"):
        return urlencode({"source": source.name, "state": column.lower()})
    return urlencode({"source": source.name, "label": column})


# What tracked issues add to the initiative's pages: linked-issue progress, fixed-upstream flags.
# The initiative app cannot read tracked issues (it sits below this app), so the pages that
# show these are built from the reads below.


def _linked_issues(obj: Milestone | Subproject) -> Q:
    """The tracked issues a milestone's or subproject's tracker labels and milestones name."""
    q = Q()
    for label in obj.tracker_labels:
        q |= Q(label_index__contains=f"\n{label}\n")
    if obj.tracker_milestones:
        q |= Q(milestone__in=obj.tracker_milestones)
    return q


def linked_issue_counts(
    objects: list[Milestone] | list[Subproject], *, user
) -> dict[int, tuple[int, int]]:
    """(total, closed) tracked issues linked to each milestone or subproject, by its pk.

    One aggregate query for all of them (none when nothing is linked). Issues removed or moved
    away upstream are not counted; confidential ones count for signed-in members only.
    """
    aggregates: dict[str, Count] = {}
    wanted = Q()
    for obj in objects:
        q = _linked_issues(obj)
        if q:
            wanted |= q
            aggregates[f"total_{obj.pk}"] = Count("pk", filter=q)
            aggregates[f"closed_{obj.pk}"] = Count("pk", filter=q & Q(state=IssueState.CLOSED))
    if not aggregates:
        return {}
    counts = (
        issues_visible_to(user).filter(wanted, removed=False, moved_to="").aggregate(**aggregates)
    )
    return {
        obj.pk: (counts[f"total_{obj.pk}"], counts[f"closed_{obj.pk}"])
        for obj in objects
        if f"total_{obj.pk}" in counts
    }


def attach_milestone_progress(milestones: list[Milestone], *, user) -> list[Milestone]:
    """Attach each milestone's progress, counting its blockers and linked tracked issues."""
    counts = linked_issue_counts(milestones, user=user)
    return initiative_selectors.attach_progress(milestones, issue_counts=counts)


def milestones_with_progress(*, user, release: Release | None = None) -> list[Milestone]:
    """Milestones in plan order, with their progress (attach_milestone_progress)."""
    milestones = list(initiative_selectors.milestone_list(user=user, release=release))
    return attach_milestone_progress(milestones, user=user)


def milestone_with_progress(*, user, key: str) -> Milestone:
    milestone = initiative_selectors.milestone_get(user=user, key=key)
    return attach_milestone_progress([milestone], user=user)[0]


def releases_with_progress(*, user) -> list[Release]:
    """Releases with their milestones (progress attached) in plan order."""
    return initiative_selectors.release_list(milestones=milestones_with_progress(user=user))


def subproject_with_links(*, user, key: str) -> Subproject:
    """One subproject, with the counts of its linked tracker issues attached."""
    subproject = initiative_selectors.subproject_get(user=user, key=key)
    counts = linked_issue_counts([subproject], user=user)
    return initiative_selectors.attach_linked_issues([subproject], issue_counts=counts)[0]


def upstream_fixed_flag(user) -> Q:
    """Whether the tracked issue a blocker points at has closed while the blocker still waits.

    Only a flag for the owner to confirm: the blocker's status never changes by itself. An issue
    removed or moved away upstream is not a fix; confidential issues count for members only.
    """
    closed = issues_visible_to(user).filter(
        project=OuterRef("tracking_project"),
        number=OuterRef("tracking_number"),
        state=IssueState.CLOSED,
        removed=False,
        moved_to="",
    )
    return Q(Exists(closed), status__in=AWAITING_FIX)


def blockers_with_flags(*, user, filters: dict | None = None) -> QuerySet[Blocker]:
    """initiative's blocker_list, each blocker with `upstream_fixed` computed in the same query.

    `filters` are blocker_list's, plus `upstream_fixed` (only the flagged ones).
    """
    qs = initiative_selectors.blocker_list(user=user, filters=filters).annotate(
        upstream_fixed=upstream_fixed_flag(user)
    )
    return qs.filter(upstream_fixed=True) if (filters or {}).get("upstream_fixed") else qs


def most_pressing_blockers(*, user, filters: dict, limit: int) -> tuple[list[Blocker], int]:
    """The first `limit` matching blockers with their flags, most pressing first, and how many
    match."""
    blockers = blockers_with_flags(user=user, filters=filters)
    return list(initiative_selectors.most_pressing_first(blockers)[:limit]), blockers.count()


def blocker_with_flags(*, user, pk: int) -> Blocker:
    return get_object_or_404(blockers_with_flags(user=user), pk=pk)


# Linking blockers to tracked issues


def tracked_issue_for_url(url: str, *, user=None) -> TrackedIssue | None:
    """The tracked issue a blocker's tracking URL or reference points at, if fedimage holds it.

    Any form parse_issue_reference understands. Confidential issues are returned only to
    signed-in users (pass `user`; without one they are never returned).
    """
    parsed = parse_issue_reference(url)
    if parsed is None:
        return None
    host, project, number = parsed
    qs = TrackedIssue.objects.select_related("source").filter(project=project, number=number)
    if user is None or not can_see_private(user):
        qs = qs.filter(confidential=False)
    candidates = list(qs.order_by("removed", "-updated_at")[:5])
    if host is not None:
        candidates = [c for c in candidates if urlsplit(c.web_url).hostname == host] or candidates
    return candidates[0] if candidates else None


def closed_issues_tracked_by_blockers(
    *, user, since: datetime, until: datetime
) -> list[tuple[TrackedIssue, list[tuple[int, str]]]]:
    """Tracked issues closed in (since, until] that blockers the user may see track, oldest
    closed first, each with those blockers (pk, title).

    Read from the issues that closed in the window and that a blocker tracks (matched in SQL
    on the blocker's stored project and number), then those blockers: two bounded queries,
    however many blockers ever tracked an issue.
    """
    visible = initiative_selectors.blockers_visible_to(user)
    tracked = visible.filter(
        tracking_project=OuterRef("project"), tracking_number=OuterRef("number")
    )
    issues = TrackedIssue.objects.filter(
        Exists(tracked),
        state=IssueState.CLOSED,
        closed_at__gt=since,
        closed_at__lte=until,
        removed=False,
    )
    if not can_see_private(user):
        issues = issues.filter(confidential=False)
    closed = list(issues.defer("body").order_by("closed_at"))
    if not closed:
        return []
    linked = visible.filter(
        tracking_project__in={i.project for i in closed},
        tracking_number__in={i.number for i in closed},
    ).values_list("pk", "title", "tracking_url")
    wanted: dict[tuple[str, int], list[tuple[int, str, str | None]]] = {}
    for pk, title, url in linked:
        parsed = parse_issue_reference(url)
        if parsed is not None:
            host, project, number = parsed
            wanted.setdefault((project, number), []).append((pk, title, host))
    return [
        (
            issue,
            [
                (pk, title)
                for pk, title, host in wanted.get((issue.project, issue.number), [])
                if host is None or urlsplit(issue.web_url).hostname == host
            ],
        )
        for issue in closed
    ]


@dataclass(frozen=True)
class UpstreamState:
    """What a blocker page says of its tracking issue: the tracked issue, if held, and whether it
    was fixed upstream while the blocker still awaits a fix."""

    tracked: TrackedIssue | None
    fixed: bool


def upstream_state(*, blocker: Blocker, user) -> UpstreamState:
    """The live upstream state of a blocker's tracking issue (its page shows it)."""
    url = blocker.tracking_url
    tracked = tracked_issue_for_url(url, user=user) if url else None
    # blockers_with_flags computed the flag in SQL: use it, so the page and the lists agree.
    fixed = getattr(blocker, "upstream_fixed", None)
    if fixed is None:
        fixed = bool(
            tracked
            and not tracked.is_open
            and not tracked.removed
            and not tracked.moved_to
            and blocker.status in AWAITING_FIX
        )
    return UpstreamState(tracked=tracked, fixed=fixed)


def source_for_project(*, kind: str, project: str, host: str | None = None) -> TrackerSource | None:
    """The enabled source holding `project` on the tracker at `host` (its web host), if any.

    The project's own source, else the deepest GitLab group source containing it. Used by
    whatever learns of an issue event by another road than a webhook (the message bus).
    """
    candidates = [
        s
        for s in TrackerSource.objects.filter(kind=kind, enabled=True)
        if host is None or (urlsplit(s.web_url).hostname or "").lower() == host.lower()
    ]
    exact = [s for s in candidates if not s.is_group and s.project == project]
    if exact:
        return exact[0]
    groups = [s for s in candidates if s.is_group and project.startswith(s.project + "/")]
    return max(groups, key=lambda s: len(s.project), default=None)
