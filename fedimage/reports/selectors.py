"""Reads of the reports: an upstream family's blockers and tracked issues, as the user sees them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q

from fedimage.initiative.models import Blocker
from fedimage.initiative.selectors import blocker_list, severity_sort_key
from trackers.models import IssueState, TrackedIssue
from trackers.selectors import issues_visible_to

if TYPE_CHECKING:
    from fedimage.reports.reports import Upstream


def upstream_blockers(*, user, upstream: Upstream) -> list[Blocker]:
    """Unresolved blockers of the family (by category or tracking project), most severe first."""
    blockers = list(
        blocker_list(user=user, filters={"status": "unresolved"}).filter(
            Q(category=upstream.category) | upstream.project_q("tracking_project")
        )
    )
    blockers.sort(key=severity_sort_key)
    return blockers


# What a report row shows of an issue: never its body (about 1 KB each, thousands of issues).
ISSUE_ROW_FIELDS = (
    "project", "number", "title", "state", "labels", "moved_to", "web_url", "confidential",
    "updated_at",
)  # fmt: skip


def upstream_issues(*, user, upstream: Upstream) -> list[TrackedIssue]:
    """The family's tracked issues still upstream, open before closed, latest first."""
    return list(
        issues_visible_to(user)
        .filter(upstream.project_q("project"), removed=False)
        .only(*ISSUE_ROW_FIELDS)
        .order_by("-state", "-updated_at", "-id")  # open before closed
    )


def issue_states(*, user, pairs: list[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """The state (in words) of each tracked issue (project, number) the user may see."""
    if not pairs:
        return {}
    q = Q(pk__in=[])
    for project, number in pairs:
        q |= Q(project=project, number=number)
    found = issues_visible_to(user).filter(q, removed=False)
    return {
        (project, number): IssueState(state).label.lower()
        for project, number, state in found.values_list("project", "number", "state")
    }
