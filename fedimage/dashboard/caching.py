"""Which pages are served from the page cache, and which data each one shows.

The topics (fedimage.core.pagecache): what people change by hand (`initiative`, `meetings`,
`accounts`, `notifications`: rare, so every page depends on them) and what the background jobs
change all day (`issues`, `trackers`, `health`, `polls`: only the pages that show them).

Bookkeeping the jobs write every few minutes bumps only the pages showing it:
- a tracker sync's run and its source's sync state (cursor, ETag, last run, rate limit) bump
  `trackers` (the ledger pages); its issues bump `issues` when the run changed some; a source
  renamed or re-pointed by the initiative file, or its board read anew, bumps `issues` too;
- a poll run bumps `polls` (the image page's "Last poll"); the grid shows a poll's progress
  only when asked to (`?batch=`), and that answer is never stored;
- samples and digest facts bump nothing: no page shows them (each tag's row carries its history
  strip and build cadence, and saving a tag's state bumps `health`).
So the overview, the meeting pages and the reports stay cached through the five-minute syncs
and the ten-minute polls that change nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_save, pre_save

from fedimage.accounts.models import Profile
from fedimage.ci.models import CiRun, TagIncident
from fedimage.core import pagecache
from fedimage.health.models import (
    DigestRecord,
    PollRun,
    StateChange,
    TagState,
    WatchedImage,
)
from fedimage.initiative.models import (
    Blocker,
    Initiative,
    Migration,
    Milestone,
    Release,
    Subproject,
)
from fedimage.meetings.models import ActionItem, BlockerReview, Decision, LogEntry, Meeting, Vote
from fedimage.notifications.models import Subscription
from trackers.models import RateBudget, SyncRun, SyncRunDay, TrackedIssue, TrackerSource

BASE = ("initiative", "meetings", "accounts")
ISSUES = (*BASE, "issues")
HEALTH = (*BASE, "health")
ALL_DATA = (*BASE, "issues", "health")


def _api(names: list[str], topics: tuple[str, ...], *, prefix: str = "api-") -> dict:
    """The router's list and detail URL names of each viewset basename."""
    return {f"{prefix}{name}-{kind}": topics for name in names for kind in ("list", "detail")}


PAGES: dict[str, tuple[str, ...]] = {
    # The overview also lists failing tracker syncs (`syncs`: bumped when one starts or stops
    # failing, not by every run as `trackers` is).
    "dashboard:overview": (*ALL_DATA, "syncs"),
    "dashboard:release-detail": ISSUES,
    "dashboard:milestone-detail": ALL_DATA,
    "dashboard:subproject-detail": ALL_DATA,
    "dashboard:blocker-list": ISSUES,
    "dashboard:blocker-detail": ISSUES,
    "dashboard:changes": BASE,
    "health:grid": HEALTH,
    "health:image": (*HEALTH, "polls"),
    "trackers:sync-status": (*ISSUES, "trackers"),
    "trackers:source-detail": (*ISSUES, "trackers"),
    "trackers:issue-list": ISSUES,
    "trackers:board": ISSUES,
    "meetings:list": BASE,
    "meetings:detail": ALL_DATA,
    "meetings:present": ALL_DATA,
    "meetings:minutes": ALL_DATA,
    "reports:index": BASE,
    "reports:upstream": ALL_DATA,
    "reports:upstream-export": ALL_DATA,
    "reports:release": ALL_DATA,
    "reports:release-export": ALL_DATA,
    "reports:charts": HEALTH,
    "feeds:blockers": ISSUES,
    "feeds:calendar": BASE,
    "notifications:subscriptions": (*BASE, "notifications"),
    # CI results: runs read from the report tracker (`ci`), beside their tags' health.
    "ci:run-list": (*HEALTH, "ci"),
    # The API's lists and objects.
    "api-root": BASE,
    **_api(["release", "milestone", "subproject", "migration", "blocker"], ISSUES),
    **_api(["health-image", "health-tag"], HEALTH, prefix=""),
    **_api(["tracker-source"], (*ISSUES, "trackers"), prefix=""),
    **_api(["tracked-issue"], ISSUES, prefix=""),
    **_api(["ci-run"], (*HEALTH, "ci"), prefix=""),
    **_api(["sync-run"], (*BASE, "trackers"), prefix=""),
    **_api(["meeting", "action-item", "review"], BASE),
    **_api(["report-upstream", "report-release"], ALL_DATA),
}


# What a sync writes on its source as it goes: shown by the ledger pages only.
SYNC_STATE_FIELDS = frozenset(
    {
        "cursor",
        "etag",
        "listing",
        "last_run",
        "last_run_at",
        "last_success_at",
        "last_error_at",
        "last_error",
        "rate_limit_remaining",
        "rate_limit_reset",
        "paused_until",
        "failing_since",
        "backoff_until",
        "issues_held",
        "issues_open",
    }
)


def _source_saved(sender: type, instance: TrackerSource, update_fields=None, **kwargs: Any) -> None:
    # Anything beyond sync state (the initiative file renaming or re-pointing a source, a board
    # read anew) changes how issues are listed too.
    if update_fields and set(update_fields) <= SYNC_STATE_FIELDS:
        pagecache.bump("trackers")
    else:
        pagecache.bump("trackers", "issues")


def _source_saving(
    sender: type, instance: TrackerSource, update_fields=None, **kwargs: Any
) -> None:
    # Every listing run saves failing_since; the overview changes only when it flips.
    if instance.pk is None or (update_fields is not None and "failing_since" not in update_fields):
        return
    was_failing = TrackerSource.objects.filter(pk=instance.pk, failing_since__isnull=False).exists()
    if was_failing != (instance.failing_since is not None):
        pagecache.bump("syncs")


def _run_saved(sender: type, instance: SyncRun, **kwargs: Any) -> None:
    # Issues are written in pages during a run; its end says whether any changed.
    changed = instance.created or instance.updated or instance.removed
    pagecache.bump("trackers", "issues") if changed else pagecache.bump("trackers")


def _logged_out(sender: type, request, **kwargs: Any) -> None:
    pagecache.forget_session(request)


def connect() -> None:
    """Register the pages and watch every model they show (called from DashboardConfig.ready)."""
    pagecache.register_pages(PAGES)
    for model in (Release, Milestone, Subproject, Migration, Blocker, Initiative):
        pagecache.watch(model, "initiative")
    for model in (Meeting, Decision, ActionItem, BlockerReview, Vote, LogEntry):
        pagecache.watch(model, "meetings")
    # Events and their deliveries are shown on no page.
    pagecache.watch(Subscription, "notifications")
    # A profile holds the time zone pages are shown in.
    for model in (get_user_model(), Group, Profile):
        pagecache.watch(model, "accounts")
    for model in (WatchedImage, TagState, StateChange):
        pagecache.watch(model, "health")
    pagecache.watch(DigestRecord, "health", deletes=False)
    pagecache.watch(PollRun, "polls", deletes=False)
    pagecache.watch(TrackedIssue, "issues", deletes=False)
    for model in (CiRun, TagIncident):
        pagecache.watch(model, "ci")
    for model in (SyncRunDay, RateBudget):
        pagecache.watch(model, "trackers", deletes=False)
    post_save.connect(_source_saved, sender=TrackerSource, dispatch_uid="pagecache-source")
    pre_save.connect(_source_saving, sender=TrackerSource, dispatch_uid="pagecache-source-failing")
    post_save.connect(_run_saved, sender=SyncRun, dispatch_uid="pagecache-run")
    user_logged_out.connect(_logged_out, dispatch_uid="pagecache-logout")
