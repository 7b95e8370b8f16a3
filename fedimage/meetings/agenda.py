"""The agenda: what changed between the previous meeting and this one, read from history.

Built on the initiative's change feed (django-simple-history), the health state changes and the
tracked upstream issues. Changes are netted per object over the window: a field changed and
changed back is not news (it is listed apart), a blocker filed and resolved in the same week is
shown once, as filed and already resolved.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.urls import reverse
from django.utils import timezone

from fedimage.core.text import http_url
from fedimage.health.models import INCIDENT_STATES, HealthState, StateChange
from fedimage.health.selectors import state_changes_between
from fedimage.initiative.history import Change, change_feed
from fedimage.initiative.models import CLOSED_BLOCKER_STATUSES, Stage
from fedimage.meetings.models import Meeting
from fedimage.meetings.selectors import meeting_changes, previous_meeting
from trackers.selectors import closed_issues_tracked_by_blockers

# With no earlier meeting, the agenda covers the week before this one.
FIRST_MEETING_WINDOW = timedelta(days=7)
CLOSED_LABELS = {s.label for s in CLOSED_BLOCKER_STATUSES}
STAGE_ORDER = {s.label: s.value for s in Stage}
# The fields whose moves the meeting discusses, per model (labels of the change feed).
AGENDA_FIELDS = {
    "blocker": ("Status", "Severity"),
    "milestone": ("Status", "Target date", "Owner"),
    "migration": ("Stage",),
}


@dataclass(frozen=True)
class Move:
    """A field's net move over the window: first old value, each value it took, last value."""

    label: str
    path: tuple[str, ...]

    @property
    def old(self) -> str:
        return self.path[0]

    @property
    def new(self) -> str:
        return self.path[-1]

    @property
    def changed_back(self) -> bool:
        return self.old == self.new

    @property
    def words(self) -> str:
        return " → ".join(self.path)


@dataclass
class Item:
    """One line of the agenda about one object."""

    model: str
    object_id: int
    label: str
    url: str
    who: str
    when: datetime
    moves: list[Move] = field(default_factory=list)
    note: str = ""

    def move(self, label: str) -> Move | None:
        return next((m for m in self.moves if m.label == label), None)

    @property
    def words(self) -> str:
        parts = [f"{m.label}: {m.old} → {m.new}" for m in self.moves if not m.changed_back]
        if self.note:
            parts.append(self.note)
        return "; ".join(parts)

    @property
    def back_words(self) -> str:
        """The moves that came back to where they started, each with the values it went through."""
        return "; ".join(f"{m.label}: {m.words}" for m in self.moves if m.changed_back)


@dataclass(frozen=True)
class HealthItem:
    reference: str
    url: str
    old_state: str
    new_state: str
    when: datetime
    reason: str
    note: str = ""

    @property
    def label(self) -> str:
        return self.reference

    @property
    def words(self) -> str:
        text = f"{self.old_state} → {self.new_state}"
        return f"{text} ({self.note})" if self.note else text


@dataclass(frozen=True)
class UpstreamItem:
    reference: str
    url: str
    title: str
    closed_at: datetime
    blocker_id: int
    blocker_label: str
    blocker_url: str

    @property
    def label(self) -> str:
        return f"{self.reference} ({self.title})"

    @property
    def words(self) -> str:
        return f"closed upstream; tracked by blocker {self.blocker_label}"


@dataclass(frozen=True)
class LogItem:
    """Something a meeting decided or someone did for it (a vote, a review, an action item)."""

    label: str
    url: str
    who: str
    action: str
    detail: str
    when: datetime

    @property
    def words(self) -> str:
        # "leader voted +1 on" reads "leader voted +1" beside the blocker it is about.
        action = (
            self.action.rsplit(" ", 1)[0] if self.action.endswith(PREPOSITIONS) else self.action
        )
        return f"{self.who} {action}" + (f": {self.detail}" if self.detail else "")


PREPOSITIONS = (" on", " of", " at", " in")


@dataclass
class Agenda:
    since: datetime
    until: datetime
    previous: Meeting | None
    # The previous meeting is still to come: nothing to report until it has started.
    waits_for_previous: bool = False
    meeting_log: list[LogItem] = field(default_factory=list)
    # More than `log_limit` entries happened: the latest are listed.
    meeting_log_cut: bool = False
    blockers_filed: list[Item] = field(default_factory=list)
    blockers_resolved: list[Item] = field(default_factory=list)
    blockers_reopened: list[Item] = field(default_factory=list)
    blockers_status: list[Item] = field(default_factory=list)
    blockers_severity: list[Item] = field(default_factory=list)
    milestones: list[Item] = field(default_factory=list)
    migrations: list[Item] = field(default_factory=list)
    health_opened: list[HealthItem] = field(default_factory=list)
    health_recovered: list[HealthItem] = field(default_factory=list)
    upstream_closed: list[UpstreamItem] = field(default_factory=list)
    changed_back: list[Item] = field(default_factory=list)

    def sections(self) -> list[tuple[str, str, list]]:
        """(key, heading, items) of every section, in the order the meeting walks them."""
        return [
            ("blockers-filed", "Blockers filed", self.blockers_filed),
            ("blockers-resolved", "Blockers resolved", self.blockers_resolved),
            ("blockers-reopened", "Blockers reopened", self.blockers_reopened),
            ("blockers-status", "Blockers whose status changed", self.blockers_status),
            ("blockers-severity", "Blockers whose severity changed", self.blockers_severity),
            ("milestones", "Milestones: status and dates", self.milestones),
            ("migrations", "Subprojects that moved a migration stage", self.migrations),
            ("health-opened", "Image health incidents opened", self.health_opened),
            ("health-recovered", "Images recovered", self.health_recovered),
            ("upstream-closed", "Upstream issues closed", self.upstream_closed),
            ("changed-back", "Changed and changed back", self.changed_back),
            ("meeting-log", "Votes, reviews, decisions and action items", self.meeting_log),
        ]

    @property
    def is_empty(self) -> bool:
        return not any(items for _, _, items in self.sections())


def agenda_window(
    meeting: Meeting, *, now: datetime | None = None
) -> tuple[datetime, datetime, Meeting | None]:
    """From the previous meeting's start (or a week before) to this one's start, or now.

    When the previous meeting is itself still to come, the window is empty (until == since),
    never inverted.
    """
    now = now or timezone.now()
    previous = previous_meeting(meeting=meeting)
    since = previous.starts_at if previous else meeting.starts_at - FIRST_MEETING_WINDOW
    return since, max(since, min(meeting.starts_at, now)), previous


def agenda_for(
    meeting: Meeting, *, user, now: datetime | None = None, log_limit: int = 0
) -> Agenda:
    """The agenda of a meeting as `user` may see it (private blockers for members only).

    `log_limit`: list at most this many of the latest votes, reviews, decisions and action
    items (the pages: a busy week stays light); 0, every one (the minutes, the API).
    """
    since, until, previous = agenda_window(meeting, now=now)
    agenda = Agenda(
        since=since,
        until=until,
        previous=previous,
        waits_for_previous=previous is not None and until <= since,
    )
    if until <= since:
        return agenda
    feed = change_feed(user=user, limit=0, since=since, until=until)
    for item, created in _net_items(feed):
        _place(agenda, item, created)
    agenda.health_opened, agenda.health_recovered = _health(since, until)
    agenda.upstream_closed = _upstream(user, since, until)
    log = meeting_changes(
        user=user,
        limit=log_limit + 1 if log_limit else 0,
        since=since,
        until=until,
        agenda_of=meeting,
    )
    agenda.meeting_log_cut = bool(log_limit) and len(log) > log_limit
    agenda.meeting_log = [
        LogItem(c.object_label, c.object_url, c.who, c.words, c.detail, c.when)
        for c in reversed(log[:log_limit] if log_limit else log)
    ]
    return agenda


def _net_items(feed: list[Change]) -> list[tuple[Item, bool]]:
    by_object: dict[tuple[str, int], list[Change]] = defaultdict(list)
    for change in sorted(feed, key=lambda c: c.when):
        by_object[change.model, change.object_id].append(change)
    items = []
    for (model, object_id), changes in by_object.items():
        if any(c.kind == "deleted" for c in changes):
            continue
        paths: dict[str, list[str]] = {}
        for change in changes:
            for fc in change.fields:
                if fc.label in AGENDA_FIELDS[model]:
                    paths.setdefault(fc.label, [fc.old]).append(fc.new)
        last = changes[-1]
        item = Item(
            model=model,
            object_id=object_id,
            label=last.object_label,
            url=last.object_url,
            who=last.who,
            when=last.when,
            moves=[Move(label, tuple(path)) for label, path in paths.items()],
        )
        items.append((item, any(c.kind == "created" for c in changes)))
    return items


def _place(agenda: Agenda, item: Item, created: bool) -> None:
    moved = [m for m in item.moves if not m.changed_back]
    if any(m.changed_back for m in item.moves) and not created:
        agenda.changed_back.append(item)
    status = item.move("Status")
    if item.model == "blocker":
        if created:
            if status and status.new in CLOSED_LABELS:
                item.note = f"filed and already {status.new.lower()}"
            agenda.blockers_filed.append(item)
            return
        if status and not status.changed_back:
            if status.new in CLOSED_LABELS and status.old not in CLOSED_LABELS:
                agenda.blockers_resolved.append(item)
            elif status.old in CLOSED_LABELS and status.new not in CLOSED_LABELS:
                agenda.blockers_reopened.append(item)
            else:  # Open → In progress, In progress → Fixed upstream, Resolved → Won't fix …
                agenda.blockers_status.append(item)
        severity = item.move("Severity")
        if severity and not severity.changed_back:
            agenda.blockers_severity.append(item)
    elif item.model == "milestone" and moved and not created:
        date_move = item.move("Target date")
        if date_move and not date_move.changed_back and _later(date_move.old, date_move.new):
            item.note = f"slipped {date_move.old} → {date_move.new}"
        agenda.milestones.append(item)
    elif item.model == "migration" and moved and not created:
        stage = item.move("Stage")
        if stage is not None:
            forward = STAGE_ORDER.get(stage.new, 0) > STAGE_ORDER.get(stage.old, 0)
            item.note = "moved forward" if forward else "moved back"
        agenda.migrations.append(item)


def _later(old: str, new: str) -> bool:
    try:
        return date.fromisoformat(new) > date.fromisoformat(old)
    except ValueError:
        return False


def _health(since: datetime, until: datetime) -> tuple[list[HealthItem], list[HealthItem]]:
    """Incidents opened and recovered in the window, netted per tag (one query)."""
    changes = state_changes_between(since=since, until=until)
    by_tag: dict[int, list[StateChange]] = defaultdict(list)
    for change in changes:
        by_tag[change.tag_id].append(change)
    opened, recovered = [], []
    label = dict(HealthState.choices)
    for tag_changes in by_tag.values():
        first, last = tag_changes[0], tag_changes[-1]
        tag = last.tag
        start_bad = first.old_state in INCIDENT_STATES
        end_bad = last.new_state in INCIDENT_STATES
        had_incident = any(c.new_state in INCIDENT_STATES for c in tag_changes)
        item = HealthItem(
            reference=str(tag),
            url=tag.get_absolute_url(),
            old_state=label.get(first.old_state, first.old_state),
            new_state=label.get(last.new_state, last.new_state),
            when=last.at,
            reason=last.reason,
        )
        if end_bad and not start_bad:
            opened.append(item)
        elif start_bad and last.new_state == HealthState.HEALTHY:
            recovered.append(item)
        elif had_incident and not start_bad and last.new_state == HealthState.HEALTHY:
            bad = next(c for c in tag_changes if c.new_state in INCIDENT_STATES)
            recovered.append(
                HealthItem(
                    reference=item.reference,
                    url=item.url,
                    old_state=label[bad.new_state],
                    new_state=item.new_state,
                    when=item.when,
                    reason=bad.reason,
                    note="opened and recovered since the last meeting",
                )
            )
    return opened, recovered


def _upstream(user, since: datetime, until: datetime) -> list[UpstreamItem]:
    """Tracked upstream issues that blockers link to and that closed in the window."""
    return [
        UpstreamItem(
            reference=issue.reference,
            url=http_url(issue.web_url),  # a javascript: URL is no link, here or in the minutes
            title=issue.title,
            closed_at=issue.closed_at,
            blocker_id=pk,
            blocker_label=f"#{pk} {title}",
            blocker_url=reverse("dashboard:blocker-detail", kwargs={"pk": pk}),
        )
        for issue, blockers in closed_issues_tracked_by_blockers(
            user=user, since=since, until=until
        )
        for pk, title in blockers
    ]
