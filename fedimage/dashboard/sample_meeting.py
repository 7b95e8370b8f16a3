"""A sample past weekly meeting (`make demo`): attendance, notes, the blocker review with votes
and verdicts, decisions and action items, recorded through the meetings services."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import User

from fedimage.initiative.models import Blocker
from fedimage.meetings import services
from fedimage.meetings.models import (
    ActionItem,
    ActionStatus,
    BlockerReview,
    Decision,
    Meeting,
    ReviewState,
    Vote,
)

TITLE = "Fedora Image Mode weekly meeting (sample data)"
NOTES = """Sample minutes made up by `make demo`.

- Konflux release race: the fix is in review; releng re-runs the rawhide pipeline after it.
- Signing: infrastructure prefers cosign with keyless signing; a proposal is due next week.
- Atomic desktops on aarch64: waiting for the SIG's answer on scope for F45.
"""


def seed(*, now: datetime, lead: User, member: User, blockers: dict[str, Blocker]) -> Meeting:
    """Record a meeting held a week ago; `blockers` are the sample blockers by title."""
    held = (now - timedelta(days=7)).replace(hour=15, minute=0, second=0, microsecond=0)
    meeting = services.meeting_schedule(
        user=lead, starts_at=held, title=TITLE, location="#fedora-bootc:fedoraproject.org"
    )
    services.meeting_update(meeting=meeting, user=lead, notes=NOTES, attendees=[lead, member])
    race = blockers.get("Release race condition in Konflux leaves rawhide-standard unpublished")
    arches = blockers.get("Atomic Desktops variants missing aarch64 builds")
    if race is not None:
        services.review_justify(
            blocker=race,
            user=lead,
            justification=(
                "Every subproject consuming the base image is stuck on an old rawhide build."
            ),
        )
        services.vote_cast(blocker=race, user=lead, value=1)
        services.vote_cast(blocker=race, user=member, value=1, comment="Hits CoreOS next too.")
        services.review_decide(
            blocker=race,
            meeting=meeting,
            user=lead,
            state=ReviewState.ACCEPTED,
            reason="blocks the beta base images milestone",
        )
    if arches is not None:
        services.vote_cast(blocker=arches, user=member, value=0, comment="Scope unclear.")
        services.review_decide(
            blocker=arches,
            meeting=meeting,
            user=lead,
            state=ReviewState.NEEDS_INFO,
            reason="the desktops SIG to say whether aarch64 is in scope",
        )
    services.decision_record(
        meeting=meeting,
        user=lead,
        text=("Propose cosign keyless signing for the official base images to infrastructure."),
    )
    done = services.action_item_add(
        meeting=meeting,
        user=lead,
        owner=member,
        text="Ask releng for a re-run of the rawhide pipeline",
        due_date=(now - timedelta(days=3)).date(),
    )
    services.action_item_set_status(item=done, user=lead, status=ActionStatus.DONE)
    services.action_item_add(
        meeting=meeting,
        user=lead,
        owner=lead,
        text="Write the signing proposal for infrastructure",
        due_date=(now + timedelta(days=1)).date(),
    )
    services.action_item_add(
        meeting=meeting,
        user=lead,
        owner=member,
        text="Ask the desktops SIG about aarch64 scope",
        due_date=(now - timedelta(days=1)).date(),
    )
    # Recorded during the meeting, not now.
    during = held + timedelta(minutes=20)
    Meeting.objects.filter(pk=meeting.pk).update(created_at=held - timedelta(days=6))
    Decision.objects.filter(meeting=meeting).update(recorded_at=during)
    ActionItem.objects.filter(meeting=meeting).update(created_at=during)
    ActionItem.objects.filter(pk=done.pk).update(closed_at=now - timedelta(days=4))
    reviews = BlockerReview.objects.filter(decided_at_meeting=meeting)
    reviews.update(decided_at=during)
    Vote.objects.filter(review__in=reviews).update(cast_at=held - timedelta(days=1))
    return meeting
