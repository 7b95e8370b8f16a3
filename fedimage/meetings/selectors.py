"""Reads of the meetings app, shaped for the pages, the exports and the feeds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404
from django.utils import timezone

from fedimage.initiative.history import Change
from fedimage.initiative.models import (
    CLOSED_BLOCKER_STATUSES,
    SEVERITY_RANK,
    Blocker,
    Milestone,
    MilestoneStatus,
)
from fedimage.initiative.rules import can_see_private
from fedimage.initiative.selectors import blockers_visible_to
from fedimage.meetings.models import (
    UNDECIDED_STATES,
    ActionItem,
    ActionStatus,
    BlockerReview,
    Decision,
    LogEntry,
    LogKind,
    Meeting,
    ReviewState,
    Vote,
)
from trackers.selectors import milestones_with_progress


def meeting_list(*, attendees: bool = False) -> QuerySet[Meeting]:
    qs = Meeting.objects.select_related("chair")
    return qs.prefetch_related("attendees") if attendees else qs


def meeting_get(*, pk: int) -> Meeting:
    return get_object_or_404(
        Meeting.objects.select_related("chair").prefetch_related("attendees"), pk=pk
    )


def previous_meeting(*, meeting: Meeting) -> Meeting | None:
    """The meeting held last before this one, if any."""
    return Meeting.objects.filter(starts_at__lt=meeting.starts_at).order_by("-starts_at").first()


def upcoming_and_past(*, now: datetime | None = None) -> tuple[list[Meeting], list[Meeting]]:
    """Meetings still to come (soonest first) and held ones (latest first)."""
    now = now or timezone.now()
    meetings = list(meeting_list())
    upcoming = sorted((m for m in meetings if m.ends_at >= now), key=lambda m: m.starts_at)
    past = [m for m in meetings if m.ends_at < now]
    return upcoming, past


@dataclass
class Tally:
    """A blocker under review with its named votes, and who among the attendees has not voted."""

    blocker: Blocker
    review: BlockerReview | None
    votes: list[Vote] = field(default_factory=list)
    not_voted: list = field(default_factory=list)

    @property
    def state(self) -> str:
        return self.review.state if self.review else ReviewState.PROPOSED

    @property
    def state_label(self) -> str:
        return ReviewState(self.state).label

    @property
    def is_open_for_votes(self) -> bool:
        """Members vote until the meeting accepts or rejects it; needing information is no end."""
        return self.state in UNDECIDED_STATES

    @property
    def justification(self) -> str:
        return self.review.justification if self.review else ""

    def count(self, value: int) -> int:
        return sum(1 for v in self.votes if v.value == value)

    @property
    def plus(self) -> int:
        return self.count(1)

    @property
    def zero(self) -> int:
        return self.count(0)

    @property
    def minus(self) -> int:
        return self.count(-1)

    @property
    def score(self) -> int:
        return sum(v.value for v in self.votes)

    def vote_of(self, user) -> Vote | None:
        if not user.is_authenticated:
            return None
        return next((v for v in self.votes if v.voter_id == user.pk), None)


def _votes() -> QuerySet[Vote]:
    return Vote.objects.select_related("voter").order_by("cast_at", "id")


def _review_prefetch() -> Prefetch:
    return Prefetch("review__votes", queryset=_votes())


def _tally(blocker: Blocker, attendees: list) -> Tally:
    review = getattr(blocker, "review", None) if _has_review(blocker) else None
    votes = list(review.votes.all()) if review else []
    voted = {v.voter_id for v in votes}
    return Tally(
        blocker=blocker,
        review=review,
        votes=votes,
        not_voted=[a for a in attendees if a.pk not in voted],
    )


def _has_review(blocker: Blocker) -> bool:
    try:
        blocker.review  # noqa: B018 - reading the reverse one-to-one is the check
    except BlockerReview.DoesNotExist:
        return False
    return True


def _severity_rank() -> Case:
    return Case(
        *(When(severity=s, then=Value(rank)) for s, rank in SEVERITY_RANK.items()),
        default=Value(len(SEVERITY_RANK)),
        output_field=IntegerField(),
    )


def reviews_for_meeting(*, meeting: Meeting, user) -> list[Tally]:
    """Blockers the meeting reviews, most severe first, then the oldest (a backlog's order).

    Open ones not yet decided, and those it decided. Blockers filed after the meeting ended are
    a later meeting's business, so are those it deferred, and a blocker this meeting decided
    stays in its review even when a later meeting decides it again.
    """
    undecided = (Q(review__isnull=True) | Q(review__state__in=UNDECIDED_STATES)) & ~Q(
        review__deferred_from=meeting
    )
    decided_here = Decision.objects.filter(meeting=meeting, blocker__isnull=False).values("blocker")
    blockers = (
        blockers_visible_to(user)
        .filter(
            (
                undecided
                & ~Q(status__in=CLOSED_BLOCKER_STATUSES)
                & Q(created_at__lte=meeting.ends_at)
            )
            | Q(review__decided_at_meeting=meeting)
            | Q(pk__in=decided_here)
        )
        .select_related("reporter", "review__decided_by", "review__decided_at_meeting")
        .prefetch_related(_review_prefetch())
        .annotate(severity_rank=_severity_rank())
        .order_by("severity_rank", "created_at", "id")
    )
    attendees = sorted(meeting.attendees.all(), key=lambda u: u.get_username())
    return [_tally(b, attendees) for b in blockers]


def deferred_by(*, meeting: Meeting, user) -> list[Blocker]:
    """Blockers whose review this meeting left to the next one, still undecided."""
    return list(
        blockers_visible_to(user)
        .filter(review__deferred_from=meeting, review__state__in=UNDECIDED_STATES)
        .annotate(severity_rank=_severity_rank())
        .order_by("severity_rank", "created_at", "id")
    )


def review_tally(*, blocker: Blocker) -> Tally:
    """The review of one blocker (for its page), with the votes cast so far."""
    blocker = (
        Blocker.objects.select_related("review__decided_at_meeting")
        .prefetch_related(_review_prefetch())
        .get(pk=blocker.pk)
    )
    return _tally(blocker, [])


def action_item_list() -> QuerySet[ActionItem]:
    """Action items of every meeting, oldest first, with their owners."""
    return ActionItem.objects.select_related("owner").order_by("created_at", "id")


def action_item_get(*, pk: int) -> ActionItem:
    return get_object_or_404(ActionItem.objects.select_related("meeting"), pk=pk)


def review_list(*, user) -> QuerySet[BlockerReview]:
    """Reviews of the blockers the user may see, with their named votes, by blocker id."""
    return (
        BlockerReview.objects.filter(blocker__in=blockers_visible_to(user))
        .select_related("blocker", "decided_by")
        .prefetch_related(Prefetch("votes", queryset=_votes()))
        .order_by("blocker_id")
    )


def decisions_of(*, meeting: Meeting, user) -> list[Decision]:
    """What the meeting agreed; decisions about blockers the user may not see are left out."""
    decisions = Decision.objects.filter(meeting=meeting).select_related("recorded_by")
    hidden = Blocker.objects.filter(private=True).values("pk")
    if not user.is_authenticated:
        decisions = decisions.exclude(blocker__in=hidden)
    return list(decisions)


def action_items_for(*, meeting: Meeting, since: datetime) -> list[ActionItem]:
    """Items raised at this meeting, and earlier ones still open or closed since `since`."""
    items = (
        ActionItem.objects.filter(
            Q(meeting=meeting)
            | Q(meeting__starts_at__lt=meeting.starts_at)
            & (Q(status=ActionStatus.OPEN) | Q(closed_at__gt=since))
        )
        .select_related("owner", "meeting")
        .order_by("meeting__starts_at", "created_at", "id")
    )
    result = list(items)
    for item in result:
        # A display flag for the minutes and agenda, not a model field.
        item.carried = item.meeting_id != meeting.pk  # type: ignore[attr-defined]
    return result


def milestone_walk(*, user) -> list[Milestone]:
    """The milestones the meeting walks through, in plan order; done ones are skipped."""
    return [m for m in milestones_with_progress(user=user) if m.status != MilestoneStatus.DONE]


def meeting_changes(
    *,
    user,
    limit: int = 20,
    since: datetime | None = None,
    until: datetime | None = None,
    blockers: list[int] | None = None,
    agenda_of: Meeting | None = None,
) -> list[Change]:
    """What meetings decided and people did for them (votes, reviews, decisions, action items),
    newest first, as entries of the change feed; one query.

    `blockers` restricts to entries about those blockers; entries about private blockers are
    for signed-in members only. `agenda_of` leaves out what that meeting's own page shows: its
    decisions and action items, and the votes on blockers it reviews (in their tallies).
    """
    entries = LogEntry.objects.select_related("actor", "meeting", "blocker")
    if agenda_of is not None:
        entries = entries.exclude(meeting=agenda_of).exclude(
            Q(kind=LogKind.VOTE)
            & (
                Q(blocker__review_state__in=UNDECIDED_STATES)
                | Q(blocker__review__decided_at_meeting=agenda_of)
            )
        )
    if blockers is not None:
        entries = entries.filter(blocker__in=blockers)
    if not can_see_private(user):
        entries = entries.exclude(blocker__private=True)
    if since:
        entries = entries.filter(at__gt=since)
    if until:
        entries = entries.filter(at__lte=until)
    entries = entries.order_by("-at", "-id")
    return [_as_change(e) for e in (entries[:limit] if limit else entries)]


def _as_change(entry: LogEntry) -> Change:
    obj: Blocker | Meeting | None
    if entry.blocker is not None:
        model, obj, label = "blocker", entry.blocker, str(entry.blocker)
    elif entry.meeting is not None:
        model, obj = "meeting", entry.meeting
        label = f"the meeting of {entry.meeting.starts_at:%Y-%m-%d}"
    else:
        model, obj, label = "meeting", None, "a deleted meeting"
    return Change(
        when=entry.at,
        who=entry.actor.get_username() if entry.actor else "fedimage",
        kind="changed",
        model=model,
        object_id=obj.pk if obj else 0,
        object_label=label,
        object_url=obj.get_absolute_url() if obj else "",
        words=entry.words,
        detail=entry.detail,
    )


def rejected_at(*, ids: list[int]) -> dict[int, datetime]:
    """When the meeting rejected each of these blockers it rejects today (charts stop counting
    them as open from then on); a verdict with no time counts from the start."""
    rows = BlockerReview.objects.filter(blocker_id__in=ids, state=ReviewState.REJECTED)
    return {
        blocker_id: decided_at or datetime.min.replace(tzinfo=timezone.get_current_timezone())
        for blocker_id, decided_at in rows.values_list("blocker_id", "decided_at")
    }
