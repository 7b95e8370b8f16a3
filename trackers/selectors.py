"""Reads of the trackers app, shaped for pages, the API and tasks alike."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from fedimage.initiative.permissions import can_see_private
from trackers.models import IssueState, SyncRun, TrackedIssue, TrackerKind, TrackerSource


def issues_visible_to(user) -> QuerySet[TrackedIssue]:
    """Confidential issues are for signed-in members only."""
    qs = TrackedIssue.objects.all()
    return qs if can_see_private(user) else qs.filter(confidential=False)


def source_list(*, enabled_only: bool = False) -> QuerySet[TrackerSource]:
    """Sources with what the status page shows: issues held, requests spent, the last run."""
    runs = SyncRun.objects.filter(source=OuterRef("pk"))
    since = timezone.now() - timedelta(hours=24)
    qs = TrackerSource.objects.select_related("subproject").annotate(
        issues_held=Count("issues", filter=Q(issues__removed=False)),
        issues_open=Count("issues", filter=Q(issues__removed=False, issues__state="open")),
        last_run_status=Subquery(runs.order_by("-started_at", "-id").values("status")[:1]),
        last_run_requests=Subquery(runs.order_by("-started_at", "-id").values("requests")[:1]),
        requests_24h=Coalesce(
            Subquery(
                runs.filter(started_at__gte=since)
                .values("source")
                .annotate(total=Sum("requests"))
                .values("total")[:1],
                output_field=IntegerField(),
            ),
            0,
        ),
    )
    # Aggregating queries ignore Meta.ordering, so it is restated here.
    qs = qs.order_by("order", "name")
    return qs.filter(enabled=True) if enabled_only else qs


def source_get(*, name: str) -> TrackerSource:
    return get_object_or_404(source_list(), name=name)


def run_list(*, source: TrackerSource | None = None) -> QuerySet[SyncRun]:
    qs = SyncRun.objects.select_related("source")
    return qs.filter(source=source) if source is not None else qs


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
        qs = qs.filter(title__icontains=filters["q"])
    return qs


def board_get(*, name: str) -> TrackerSource:
    return get_object_or_404(TrackerSource, name=name, kind=TrackerKind.GITLAB)


def board_columns(*, user, source: TrackerSource) -> list[tuple[str, list[TrackedIssue]]]:
    """The board's columns in order (Open first, Closed last), each with its issues."""
    names = ["Open", *source.board_columns, "Closed"]
    columns: dict[str, list[TrackedIssue]] = {name: [] for name in names}
    issues = (
        issues_visible_to(user).filter(source=source, removed=False).order_by("-updated_at", "-id")
    )
    for issue in issues:
        columns.setdefault(issue.board_column or "Open", []).append(issue)
    return list(columns.items())


# Linking blockers to tracked issues

_GITLAB_URL = re.compile(r"^/(?P<project>.+?)/-/(?:issues|work_items)/(?P<number>\d+)/?$")
_HUB_URL = re.compile(r"^/(?P<project>[^/]+/[^/]+)/issues/(?P<number>\d+)/?$")
_REFERENCE = re.compile(r"^(?P<project>[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+)#(?P<number>\d+)$")


def parse_issue_reference(text: str) -> tuple[str | None, str, int] | None:
    """(host or None, project path, number) of an issue URL or a `group/project#N` reference."""
    text = (text or "").strip()
    match = _REFERENCE.match(text)
    if match:
        return None, match["project"], int(match["number"])
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    for pattern in (_GITLAB_URL, _HUB_URL):
        match = pattern.match(parts.path)
        if match:
            return parts.hostname.lower(), match["project"], int(match["number"])
    return None


def tracked_issue_for_url(url: str, *, user=None) -> TrackedIssue | None:
    """The tracked issue a blocker's tracking URL or reference points at, if fedimage holds it.

    Understands https://gitlab.com/fedora/bootc/tracker/-/issues/84,
    https://github.com/bootc-dev/bootc/issues/123, Forgejo's /owner/repo/issues/N and references
    like bootc-dev/bootc#123. Confidential issues are returned only to signed-in users (pass
    `user`; without one they are never returned).
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
