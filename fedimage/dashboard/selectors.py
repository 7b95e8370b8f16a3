"""Reads of the overview: what needs someone now, and the truth about the plan's releases.

Everything here is composed from the apps' own selectors, in a fixed number of queries
whatever the data (tests/dashboard/test_scale.py): the milestones come with the releases the
page reads anyway, the unhealthy tags from the health summary it reads anyway, and only the
critical blockers (the first ATTENTION_BLOCKERS, oldest first) and the
failing tracker sources add a query each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from fedimage.core.durations import duration_words
from fedimage.health.selectors.grid import ImageRow
from fedimage.health.states import HealthState
from fedimage.health.states import look as health_look
from fedimage.initiative import selectors as initiative_selectors
from fedimage.initiative.looks import look
from fedimage.initiative.models import Milestone, MilestoneStatus, Release
from trackers import selectors as tracker_selectors
from trackers.status import STATES as SOURCE_STATES

# The overview lists this many critical blockers (oldest first), unhealthy tags and failing
# syncs (longest first), each kind with a link to all of them when there are more.
ATTENTION_BLOCKERS = 5
ATTENTION_EACH = 6
# Health states that need someone: the image's own trouble, and a registry that fails.
UNHEALTHY = (
    HealthState.MISSING,
    HealthState.GARBAGE,
    HealthState.DEGRADED,
    HealthState.STALE,
    HealthState.UNREACHABLE,
)
# What comes first: the lower, the sooner (then the oldest within a kind).
RANKS = {
    "overdue": 0,
    "slipped": 1,
    "critical": 2,
    "blocked": 3,
    "at-risk": 4,
    "image": 5,
    "sync": 6,
}


@dataclass(frozen=True)
class Attention:
    """One line of "what needs me now": what, how long it has waited, where to act."""

    kind: str  # a key of RANKS
    label: str  # the kind in words: "Overdue", "Critical blocker"
    glyph: str
    css_class: str
    title: str
    url: str
    age: str  # "overdue 40 days", "open 3 days", "failing for 5 hours"
    context: str  # the release, the image's reference, the source's project
    waited: timedelta  # for ordering: the longest wait first


@dataclass
class Attentions:
    """The overview's first answer: the lines, and lists cut short with a link to the rest."""

    items: list[Attention] = field(default_factory=list)
    more: list[tuple[str, str]] = field(default_factory=list)  # (words, url)


@dataclass(frozen=True)
class ReleaseTruth:
    """Where a release of the plan stands, said plainly: shipped or not, and what is late."""

    release: Release
    shipped: bool
    overdue: list[Milestone]
    slipped: list[Milestone]
    open_milestones: int

    @property
    def words(self) -> str:
        when = self.release.released_on or self.release.final_target
        if self.shipped:
            head = f"{self.release.name} shipped on {when:%-d %B %Y}"
        elif when:
            head = f"{self.release.name} is due on {when:%-d %B %Y}"
        else:
            head = self.release.name
        late = len({m.pk for m in (*self.overdue, *self.slipped)})
        if late:
            return f"{head}; {late} of its milestones {'is' if late == 1 else 'are'} late"
        if self.shipped and self.open_milestones:
            return f"{head}; {self.open_milestones} of its milestones not done"
        return head

    @property
    def is_behind(self) -> bool:
        return bool(self.overdue or self.slipped)


def _is_overdue(m: Milestone, today: date) -> bool:
    return m.status != MilestoneStatus.DONE and m.target_date is not None and m.target_date < today


def release_truths(releases: list[Release], *, today: date | None = None) -> list[ReleaseTruth]:
    """Each release with its late milestones (releases from releases_with_progress: no query)."""
    today = today or timezone.localdate()
    truths = []
    for r in releases:
        rows = r.milestone_rows
        shipped = r.released_on is not None and r.released_on <= today
        truths.append(
            ReleaseTruth(
                release=r,
                shipped=shipped,
                overdue=[m for m in rows if _is_overdue(m, today)],
                slipped=[m for m in rows if m.status == MilestoneStatus.SLIPPED],
                open_milestones=sum(1 for m in rows if m.status != MilestoneStatus.DONE),
            )
        )
    return truths


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _milestone_lines(truths: list[ReleaseTruth], today: date) -> list[Attention]:
    lines = []
    for truth in truths:
        for m in truth.release.milestone_rows:
            status = look("milestone", m.status)
            context = m.release.name + (" · shipped" if truth.shipped else "")
            days_late = (today - m.target_date).days if m.target_date else 0
            if _is_overdue(m, today):
                kind, label = "overdue", "Overdue"
                if m.status not in (MilestoneStatus.NOT_STARTED, MilestoneStatus.ON_TRACK):
                    label = f"Overdue, {status.label.lower()}"
                age = f"due {_days(days_late)} ago"
            elif m.status in (MilestoneStatus.SLIPPED, MilestoneStatus.BLOCKED):
                kind = "slipped" if m.status == MilestoneStatus.SLIPPED else "blocked"
                label = status.label
                age = _due_words(m, today)
            elif m.status == MilestoneStatus.AT_RISK:
                kind, label, age = "at-risk", "At risk", _due_words(m, today)
            else:
                continue
            shown = look("due", "overdue") if kind == "overdue" else status
            lines.append(
                Attention(
                    kind=kind,
                    label=label,
                    glyph=shown.glyph,
                    css_class=shown.css_class,
                    title=m.title,
                    url=m.get_absolute_url(),
                    age=age,
                    context=context,
                    waited=timedelta(days=days_late),
                )
            )
    return lines


def _due_words(m: Milestone, today: date) -> str:
    if m.target_date is None:
        return "no target date"
    days = (m.target_date - today).days
    if days == 0:
        return "due today"
    return f"due in {_days(days)}" if days > 0 else f"due {_days(-days)} ago"


def _blocker_lines(user, now: datetime) -> list[Attention]:
    critical = tracker_selectors.blockers_with_flags(
        user=user, filters={"status": "unresolved", "severity": "critical"}
    )
    first = list(initiative_selectors.blockers_ordered(critical)[:ATTENTION_BLOCKERS])
    sev = look("severity", "critical")
    return [
        Attention(
            kind="critical",
            label="Critical blocker",
            glyph=sev.glyph,
            css_class=sev.css_class,
            title=f"#{b.pk} {b.title}",
            url=b.get_absolute_url(),
            age=f"open {duration_words(now - b.created_at)}",
            context=b.get_status_display()
            + (f" · owner {b.owner.get_username()}" if b.owner else " · no owner")
            + (" · accepted blocker" if b.is_accepted else " · not yet accepted by the meeting"),
            waited=now - b.created_at,
        )
        for b in first
    ]


def _image_lines(health_rows: list[ImageRow], now: datetime) -> list[Attention]:
    lines = []
    for row in health_rows:
        for tag in row.tags:
            state = tag.state
            if state.state not in UNHEALTHY:
                continue
            seen = health_look(state.state)
            waited = now - state.state_since
            lines.append(
                Attention(
                    kind="image",
                    label=seen.label,
                    glyph=seen.glyph,
                    css_class=seen.css_class,
                    title=f"{row.image.name}:{state.tag}",
                    url=f"{row.image.get_absolute_url()}#tag-{state.tag}",
                    age=f"for {duration_words(waited)}",
                    context=state.reason or row.image.reference,
                    waited=waited,
                )
            )
    return lines


def _sync_lines(now: datetime) -> list[Attention]:
    failing = tracker_selectors.source_list(enabled_only=True).filter(failing_since__isnull=False)
    _, glyph, css_class = SOURCE_STATES["failing"]
    return [
        Attention(
            kind="sync",
            label="Tracker sync failing",
            glyph=glyph,
            css_class=css_class,
            title=source.name,
            url=source.get_absolute_url(),
            age=f"failing for {duration_words(now - source.failing_since)}",
            context=source.project,
            waited=now - source.failing_since,
        )
        for source in failing
        if source.failing_since is not None
    ]


def needs_attention(
    *, user, truths: list[ReleaseTruth], health_rows: list[ImageRow], critical_total: int
) -> Attentions:
    """What needs someone now, worst kind first and the longest waiting first within a kind.

    `critical_total`: how many critical blockers are open (open_blockers_by_severity counts).
    """
    now = timezone.now()
    today = timezone.localdate()
    blockers = _blocker_lines(user, now)
    images = _longest_first(_image_lines(health_rows, now))
    syncs = _longest_first(_sync_lines(now))
    items = [
        *_milestone_lines(truths, today),
        *blockers,
        *images[:ATTENTION_EACH],
        *syncs[:ATTENTION_EACH],
    ]
    items.sort(key=lambda a: (RANKS[a.kind], -a.waited.total_seconds()))
    result = Attentions(items=items)
    if critical_total > len(blockers):
        query = urlencode({"status": "unresolved", "severity": "critical"})
        url = f"{reverse('dashboard:blocker-list')}?{query}"
        result.more.append((f"All {critical_total} critical blockers", url))
    if len(images) > ATTENTION_EACH:
        result.more.append((f"All {len(images)} unhealthy image tags", reverse("health:grid")))
    if len(syncs) > ATTENTION_EACH:
        result.more.append(
            (f"All {len(syncs)} failing tracker syncs", reverse("trackers:sync-status"))
        )
    return result


def _longest_first(lines: list[Attention]) -> list[Attention]:
    return sorted(lines, key=lambda a: -a.waited.total_seconds())
