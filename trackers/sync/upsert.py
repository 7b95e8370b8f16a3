"""The upsert stage: write what changed, keyed on (source, project, number), and say what.

Callers hold a transaction around each call, so a page is stored whole or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.utils import timezone

from trackers.clients.base import RemoteIssue
from trackers.models import TrackedIssue, TrackerKind
from trackers.sync.context import SyncContext
from trackers.sync.mapping import SYNCED_FIELDS, describe, issue_values, unfit


def upsert(ctx: SyncContext, issues: Iterable[RemoteIssue]) -> None:
    """Create the issues fedimage does not hold, update those that changed."""
    latest: dict[tuple[str, int], RemoteIssue] = {}
    for issue in issues:
        key = (issue.project_path, issue.number)
        if key not in latest or issue.updated_at >= latest[key].updated_at:
            latest[key] = issue
    if not latest:
        return
    projects = {p for p, _ in latest}
    numbers = {n for _, n in latest}
    existing = {
        (i.project, i.number): i
        for i in ctx.held().filter(project__in=projects, number__in=numbers)
        if (i.project, i.number) in latest
    }
    now = timezone.now()
    columns = list(ctx.source.board_columns)
    counts = ctx.counts
    new: list[TrackedIssue] = []
    changed: list[TrackedIssue] = []
    for key, remote in latest.items():
        why = unfit(remote)
        if why is not None:
            counts.skip(f"{remote.project_path[:100]}#{remote.number}", why)
            continue
        values = issue_values(remote, columns)
        held = existing.get(key)
        if held is None:
            new.append(
                TrackedIssue(
                    source=ctx.source,
                    project=key[0],
                    number=key[1],
                    first_seen_at=now,
                    synced_at=now,
                    **values,
                )
            )
            counts.met(key, "created")
            # The ledger is public (pages, API): a confidential issue's title stays out.
            title = "" if remote.confidential else f" {remote.title[:80]}"
            counts.note(f"created {remote.project_path}#{remote.number} ({remote.state}){title}")
            continue
        if held.updated_at > remote.updated_at and not held.removed:
            # A slower listing (or webhook fetch) carries older data than we hold.
            counts.met(key, "unchanged")
            continue
        diff = [name for name, value in values.items() if getattr(held, name) != value]
        if not diff:
            counts.met(key, "unchanged")
            continue
        what = ", ".join(
            describe(name, getattr(held, name), values[name])
            for name in diff
            if name not in ("label_index", "updated_at", "removed_at")
        )
        for name in diff:
            setattr(held, name, values[name])
        held.synced_at = now
        changed.append(held)
        counts.met(key, "updated")
        counts.note(f"updated {held.reference}: {what or 'updated_at'}")
    if new:
        TrackedIssue.objects.bulk_create(new)
    if changed:
        TrackedIssue.objects.bulk_update(changed, [*SYNCED_FIELDS, "synced_at"])


def mark_removed(ctx: SyncContext, rows: QuerySet[TrackedIssue], *, moved_to: str = "") -> int:
    """Flag issues gone upstream (kept with their last good data); how many were flagged."""
    now = timezone.now()
    flagged = 0
    for issue in rows.filter(removed=False):
        issue.removed, issue.removed_at, issue.synced_at = True, now, now
        if moved_to:
            issue.moved_to = moved_to
        issue.save(update_fields=["removed", "removed_at", "synced_at", "moved_to"])
        flagged += 1
        ctx.counts.removed += 1
        ctx.counts.note(
            f"removed {issue.reference}"
            + (f" (moved to {moved_to})" if moved_to else " (gone upstream)")
        )
    return flagged


def store_fetched(ctx: SyncContext, remote: RemoteIssue, *, project: str, number: int) -> None:
    """Store issue `project`#`number` as fetched by number: upsert it, or flag it moved when it
    answers from elsewhere (GitHub redirects a transferred issue to its new repository, where
    it has another number)."""
    here = remote.web_url.rstrip("/").endswith(f"/{project}/issues/{number}")
    if ctx.source.kind != TrackerKind.GITLAB and not here:
        gone = ctx.held().filter(project=project, number=number)
        mark_removed(ctx, gone, moved_to=remote.web_url)
        return
    upsert(ctx, [remote])


def resolve_moves(ctx: SyncContext) -> None:
    """Point moved GitLab issues at their copy when fedimage holds it (by global id)."""
    pending = list(
        ctx.held().filter(
            ~Q(moved_to=""), moved_to__startswith="gitlab-id:", moved_to_issue__isnull=True
        )
    )
    if not pending:
        return
    ids = {}
    for issue in pending:
        value = issue.moved_to.removeprefix("gitlab-id:")
        if value.isdigit():
            ids[issue.pk] = int(value)
    targets = {
        t.remote_id: t
        for t in TrackedIssue.objects.filter(
            remote_id__in=set(ids.values()),
            source__kind=TrackerKind.GITLAB,
            source__base_url=ctx.source.base_url,
        )
    }
    resolved = []
    for issue in pending:
        target = targets.get(ids.get(issue.pk))
        if target is not None:
            issue.moved_to_issue = target
            resolved.append(issue)
            ctx.counts.note(f"moved {issue.reference} -> {target.reference}")
    if resolved:
        TrackedIssue.objects.bulk_update(resolved, ["moved_to_issue"])
