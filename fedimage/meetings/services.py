"""Writes of the meetings app: meetings, decisions, action items, the blocker review and votes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from fedimage.core.permissions import require, require_user
from fedimage.initiative.models import Blocker
from fedimage.initiative.services import blocker_set_review_state
from fedimage.meetings import events
from fedimage.meetings.models import (
    ActionItem,
    ActionStatus,
    BlockerReview,
    Decision,
    LogEntry,
    LogKind,
    Meeting,
    ReviewState,
    Vote,
    VoteValue,
)
from fedimage.meetings.selectors import reviews_for_meeting

User = AuthUser | AnonymousUser


def _log(
    *,
    user: User | None,
    kind: str,
    words: str,
    detail: str = "",
    meeting: Meeting | None = None,
    blocker: Blocker | None = None,
    item: ActionItem | None = None,
) -> None:
    """Write what was just done to the meeting's log, in the caller's transaction."""
    LogEntry.objects.create(
        at=timezone.now(),
        actor=user if user is not None and user.is_authenticated else None,
        kind=kind,
        words=words,
        detail=detail[:2600],
        meeting=meeting,
        blocker=blocker,
        action_item=item,
    )


@transaction.atomic
def meeting_schedule(
    *,
    user: User,
    starts_at: datetime,
    title: str = "",
    duration_minutes: int = 60,
    location: str = "",
) -> Meeting:
    """Schedule a meeting; the lead who schedules it chairs it."""
    require(user, "meetings.schedule")
    meeting = Meeting(
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        location=location.strip(),
        chair=user,  # type: ignore[misc]
    )
    if title.strip():
        meeting.title = title.strip()
    meeting.full_clean()
    meeting.save()
    return meeting


@transaction.atomic
def meeting_update(
    *,
    meeting: Meeting,
    user: User,
    notes: str | None = None,
    attendees: Iterable[AuthUser] | None = None,
) -> Meeting:
    """Record the meeting's notes or who attended."""
    require(user, "meetings.run")
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if notes is not None:
        meeting.notes = notes
        meeting.save(update_fields=["notes"])
    if attendees is not None:
        meeting.attendees.set(list(attendees))
    return meeting


@transaction.atomic
def meeting_attend(*, meeting: Meeting, user: User) -> None:
    """A signed-in member says they are present."""
    meeting.attendees.add(require_user(user, "meetings.attend", meeting))


@transaction.atomic
def decision_record(
    *, meeting: Meeting, user: User, text: str, blocker: Blocker | None = None
) -> Decision:
    require(user, "meetings.record_decision")
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Say what was agreed."})
    decision = Decision.objects.create(
        meeting=meeting,
        text=text,
        blocker=blocker,
        recorded_by=user,  # type: ignore[misc]
    )
    if blocker is None:  # a review's decision is logged as the review (review_decide)
        _log(
            user=user,
            kind=LogKind.DECISION,
            words="recorded a decision of",
            detail=text,
            meeting=meeting,
        )
    return decision


@transaction.atomic
def action_item_add(
    *,
    meeting: Meeting,
    user: User,
    owner: AuthUser,
    text: str,
    due_date: date | None = None,
) -> ActionItem:
    require(user, "meetings.assign_action_item")
    item = ActionItem(meeting=meeting, owner=owner, text=text.strip(), due_date=due_date)
    item.full_clean()
    item.save()
    due = f" (due {due_date:%Y-%m-%d})" if due_date else ""
    _log(
        user=user,
        kind=LogKind.ACTION_CREATED,
        words=f"gave {owner.get_username()} an action item at",
        detail=f"{item.text}{due}",
        meeting=meeting,
        item=item,
    )
    events.action_item_assigned.send(sender=ActionItem, item=item, previous_owner=None, user=user)
    return item


@transaction.atomic
def action_item_reassign(*, item: ActionItem, user: User, owner: AuthUser) -> ActionItem:
    """Give an open action item to someone else: a lead may."""
    require(user, "meetings.assign_action_item")
    item = ActionItem.objects.select_for_update().select_related("owner", "meeting").get(pk=item.pk)
    if not item.is_open:
        raise ValidationError({"owner": "Reopen the action item before giving it to someone."})
    if owner.pk == item.owner_id:
        return item
    previous_owner = item.owner
    old = previous_owner.get_username()
    item.owner = owner
    item.save(update_fields=["owner"])
    _log(
        user=user,
        kind=LogKind.ACTION_REASSIGNED,
        words=f"reassigned an action item ({old} → {owner.get_username()}) of",
        detail=item.text,
        meeting=item.meeting,
        item=item,
    )
    events.action_item_assigned.send(
        sender=ActionItem, item=item, previous_owner=previous_owner, user=user
    )
    return item


@transaction.atomic
def action_item_set_status(*, item: ActionItem, user: User, status: str) -> ActionItem:
    """Close or reopen an action item: its owner or a lead may."""
    if status not in ActionStatus.values:
        raise ValidationError({"status": f"'{status}' is not an action item status."})
    item = ActionItem.objects.select_for_update().select_related("meeting").get(pk=item.pk)
    require(user, "meetings.set_action_item_status", item)  # its owner as of now
    if item.status == status:
        return item
    item.status = status
    item.closed_at = None if status == ActionStatus.OPEN else (item.closed_at or timezone.now())
    item.save(update_fields=["status", "closed_at"])
    verb = "reopened" if status == ActionStatus.OPEN else f"marked {status}"
    _log(
        user=user,
        kind=LogKind.ACTION_STATUS,
        words=f"{verb} an action item of",
        detail=f"{item.owner.get_username()} to {item.text}",
        meeting=item.meeting,
        item=item,
    )
    return item


def action_items_due_announce(*, today: date | None = None) -> int:
    """Announce every open action item due by today, once per item and due date.

    Each announcement (the `action_item_due` event and whatever its receivers record) commits
    with the item's marker, so a rerun, or a run beside another, announces nothing twice.
    """
    today = today or timezone.localdate()
    due = ActionItem.objects.filter(
        status=ActionStatus.OPEN, due_date__isnull=False, due_date__lte=today
    ).exclude(due_announced_on=F("due_date"))
    announced = 0
    for item in due.select_related("owner", "meeting"):
        with transaction.atomic():
            claimed = (
                ActionItem.objects.filter(pk=item.pk, due_date=item.due_date)
                .exclude(due_announced_on=F("due_date"))
                .update(due_announced_on=F("due_date"))
            )
            if claimed:
                events.action_item_due.send(sender=ActionItem, item=item, today=today)
                announced += 1
    return announced


def _review_for(blocker: Blocker) -> BlockerReview:
    review, _ = BlockerReview.objects.select_for_update().get_or_create(blocker=blocker)
    return review


@transaction.atomic
def review_defer_rest(*, meeting: Meeting, user: User, keep: int) -> list[Blocker]:
    """Review the first `keep` waiting blockers now, in the proposed order, and leave the rest
    to the next meeting (one decision says which); return those deferred."""
    require(user, "meetings.run")
    if keep < 1:
        raise ValidationError({"keep": "Review at least one blocker at this meeting."})
    waiting = [
        t.blocker
        for t in reviews_for_meeting(meeting=meeting, user=user)
        if t.is_open_for_votes and t.blocker.created_at <= meeting.ends_at
    ]
    rest = waiting[keep:]
    if not rest:
        return []
    BlockerReview.objects.bulk_create(
        [BlockerReview(blocker=b) for b in rest], ignore_conflicts=True
    )
    BlockerReview.objects.filter(blocker__in=rest).update(deferred_from=meeting)
    decision_record(
        meeting=meeting,
        user=user,
        text=f"Review of {len(rest)} blocker{'s' if len(rest) != 1 else ''} deferred to the "
        f"next meeting: {', '.join(f'#{b.pk}' for b in rest)}",
    )
    return rest


@transaction.atomic
def review_justify(*, blocker: Blocker, user: User, justification: str) -> BlockerReview:
    """Say why a blocker should block: its reporter, its owner or a lead may."""
    require(user, "meetings.justify", blocker)
    review = _review_for(blocker)
    review.justification = justification.strip()
    review.save(update_fields=["justification"])
    return review


@transaction.atomic
def vote_cast(*, blocker: Blocker, user: User, value: int, comment: str = "") -> tuple[Vote, bool]:
    """Cast or change the user's vote on an undecided blocker; return it and whether it is new."""
    voter = require_user(user, "meetings.vote", blocker)
    if value not in VoteValue.values:
        raise ValidationError({"value": "Vote +1, 0 or -1."})
    review = _review_for(blocker)
    if not review.is_undecided:
        raise ValidationError(
            {"value": f"The meeting decided on #{blocker.pk}; voting on it is closed."}
        )
    vote, created = Vote.objects.update_or_create(
        review=review,
        voter=voter,
        defaults={"value": value, "comment": comment.strip(), "cast_at": timezone.now()},
    )
    label = VoteValue(value).label
    _log(
        user=voter,
        kind=LogKind.VOTE,
        words=f"voted {label} on" if created else f"changed their vote to {label} on",
        detail=vote.comment,
        blocker=blocker,
    )
    return vote, created


DECISION_WORDS: dict[str, str] = {
    ReviewState.ACCEPTED: "accepted as a blocker",
    ReviewState.REJECTED: "rejected as a blocker",
    ReviewState.NEEDS_INFO: "needs more information before a decision",
}


# Deciding that more information is needed is no verdict: it needs no vote.
VERDICTS = (ReviewState.ACCEPTED, ReviewState.REJECTED)


@transaction.atomic
def review_decide(
    *,
    blocker: Blocker,
    meeting: Meeting,
    user: User,
    state: str,
    reason: str,
    no_vote_reason: str = "",
) -> BlockerReview:
    """Record the meeting's verdict on a blocker, with its reason, as a decision of that meeting.

    Accepting or rejecting needs at least one vote, unless the lead says why the meeting
    decides without one (`no_vote_reason`, kept in the decision). The verdict is marked on the
    blocker: a rejected one leaves the open counts and milestone progress.
    """
    require(user, "meetings.decide_review")
    if state not in DECISION_WORDS:
        raise ValidationError({"state": "Choose accepted, rejected or needs more information."})
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason, for the minutes."})
    no_vote_reason = no_vote_reason.strip()
    review = _review_for(blocker)
    votes = review.votes.count()
    if state in VERDICTS and not votes and not no_vote_reason:
        raise ValidationError(
            {
                "no_vote_reason": f"Nobody has voted on #{blocker.pk}: vote first, or say why "
                "the meeting decides without a vote."
            }
        )
    review.state = state
    review.decision_reason = reason
    review.decided_at_meeting = meeting
    review.decided_by = user  # type: ignore[assignment]
    review.decided_at = timezone.now()
    review.save()
    blocker_set_review_state(blocker=blocker, state=state)
    tally = _tally_words(review) if votes else f"no vote: {no_vote_reason}"
    decision_record(
        meeting=meeting,
        user=user,
        blocker=blocker,
        text=f"#{blocker.pk} {blocker.title}: {DECISION_WORDS[state]} ({reason}; {tally})",
    )
    _log(
        user=user,
        kind=LogKind.REVIEW,
        words=f"decided at the meeting of {meeting.starts_at:%Y-%m-%d} on",
        detail=f"{DECISION_WORDS[state]} ({reason}; {tally})",
        meeting=meeting,
        blocker=blocker,
    )
    events.blocker_reviewed.send(sender=BlockerReview, review=review, user=user)
    return review


def _tally_words(review: BlockerReview) -> str:
    values = list(review.votes.values_list("value", flat=True))
    counts = ", ".join(f"{v.label}: {sum(1 for x in values if x == v.value)}" for v in VoteValue)
    return f"votes {counts}"
