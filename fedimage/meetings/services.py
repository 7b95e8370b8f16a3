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
    Meeting,
    ReviewState,
    Vote,
    VoteValue,
)

User = AuthUser | AnonymousUser


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
    return Decision.objects.create(
        meeting=meeting,
        text=text,
        blocker=blocker,
        recorded_by=user,  # type: ignore[misc]
    )


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
    return item


@transaction.atomic
def action_item_set_status(*, item: ActionItem, user: User, status: str) -> ActionItem:
    """Close or reopen an action item: its owner or a lead may."""
    require(user, "meetings.set_action_item_status", item)
    if status not in ActionStatus.values:
        raise ValidationError({"status": f"'{status}' is not an action item status."})
    item = ActionItem.objects.select_for_update().get(pk=item.pk)
    item.status = status
    item.closed_at = None if status == ActionStatus.OPEN else (item.closed_at or timezone.now())
    item.save(update_fields=["status", "closed_at"])
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
    events.blocker_reviewed.send(sender=BlockerReview, review=review, user=user)
    return review


def _tally_words(review: BlockerReview) -> str:
    values = list(review.votes.values_list("value", flat=True))
    counts = ", ".join(f"{v.label}: {sum(1 for x in values if x == v.value)}" for v in VoteValue)
    return f"votes {counts}"
