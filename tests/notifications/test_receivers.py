"""Events are recorded, when the services below send their domain events, in the sender's
transaction, once each."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from fedimage.core import pagecache
from fedimage.health.services import image_poll
from fedimage.initiative.models import Milestone, MilestoneStatus, Severity
from fedimage.initiative.services import (
    blocker_file,
    blocker_update,
    milestone_edit_plan,
    milestone_set_status,
)
from fedimage.meetings.models import ActionStatus
from fedimage.meetings.services import (
    action_item_add,
    action_item_reassign,
    action_item_set_status,
    action_items_due_announce,
    meeting_schedule,
)
from fedimage.meetings.tasks import action_items_due
from fedimage.notifications.models import Channel, Event, EventKind, Notification, Subscription
from tests.health.conftest import pusher, registry, repo  # noqa: F401 - fixtures
from tests.health.factories import WatchedImageFactory
from tests.health.oci import TWO_ARCHES, iso

pytestmark = pytest.mark.django_db

ROOM = "!room:example.org"


def subscribe_room(kind: str) -> Subscription:
    return Subscription.objects.create(kind=kind, channel=Channel.MATRIX, room=ROOM)


def subscribe_email(user, kind: str) -> Subscription:
    return Subscription.objects.create(kind=kind, channel=Channel.EMAIL, user=user)


def events(kind: str) -> list[Event]:
    return list(Event.objects.filter(kind=kind).order_by("pk"))


def test_filing_a_critical_blocker_records_an_event_queued_after_commit(
    member, django_capture_on_commit_callbacks
):
    subscribe_room(EventKind.BLOCKER_CRITICAL)
    with django_capture_on_commit_callbacks() as callbacks:
        blocker = blocker_file(reporter=member, title="Upgrades loop", severity=Severity.CRITICAL)
        assert Notification.objects.count() == 1
        assert callbacks == []  # nothing is sent before the change is committed

    [event] = events(EventKind.BLOCKER_CRITICAL)
    assert event.subject == f"Critical blocker filed: #{blocker.pk} Upgrades loop"
    assert event.url == blocker.get_absolute_url()
    assert len([c for c in callbacks if not pagecache.is_version_bump(c)]) == 1


def test_a_major_blocker_is_no_event_until_raised_to_critical(member):
    blocker = blocker_file(reporter=member, title="Slow builds", severity=Severity.MAJOR)
    assert events(EventKind.BLOCKER_CRITICAL) == []

    blocker_update(blocker=blocker, user=member, severity=Severity.CRITICAL)
    blocker_update(blocker=blocker, user=member, title="Very slow builds")

    [event] = events(EventKind.BLOCKER_CRITICAL)
    assert event.subject.startswith("Critical blocker raised to critical")


def test_a_change_rolled_back_records_no_event(member):
    def file_then_fail():
        with transaction.atomic():
            blocker_file(reporter=member, title="Upgrades loop", severity=Severity.CRITICAL)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        file_then_fail()
    assert Event.objects.count() == 0


def test_a_private_critical_blocker_is_mailed_but_never_posted_to_a_room(member, other_member):
    subscribe_room(EventKind.BLOCKER_CRITICAL)
    email = subscribe_email(other_member, EventKind.BLOCKER_CRITICAL)

    blocker_file(reporter=member, title="Embargoed CVE", severity=Severity.CRITICAL, private=True)

    assert list(Notification.objects.values_list("subscription", flat=True)) == [email.pk]


def test_a_milestone_moving_to_at_risk_or_slipped_is_an_event_once(initiative, lead):
    subscribe_room(EventKind.MILESTONE_AT_RISK)
    milestone = Milestone.objects.exclude(status=MilestoneStatus.AT_RISK).first()

    milestone_set_status(milestone=milestone, user=lead, status=MilestoneStatus.AT_RISK)
    milestone_set_status(milestone=milestone, user=lead, status=MilestoneStatus.AT_RISK)
    milestone_set_status(milestone=milestone, user=lead, status=MilestoneStatus.ON_TRACK)
    milestone_set_status(milestone=milestone, user=lead, status=MilestoneStatus.SLIPPED, note="F45")

    at_risk, slipped = events(EventKind.MILESTONE_AT_RISK)
    assert at_risk.subject == f"Milestone at risk: {milestone.title}"
    assert slipped.body.endswith("On track → Slipped.\nF45")
    assert Notification.objects.count() == 2


def test_inactive_and_other_kinds_of_subscription_get_nothing(member):
    Subscription.objects.create(
        kind=EventKind.BLOCKER_CRITICAL, channel=Channel.MATRIX, room=ROOM, active=False
    )
    subscribe_room(EventKind.MILESTONE_AT_RISK)

    blocker_file(reporter=member, title="Upgrades loop", severity=Severity.CRITICAL)

    assert Notification.objects.count() == 0


@pytest.fixture
def meeting(lead):
    return meeting_schedule(user=lead, starts_at=timezone.now())


def test_an_action_item_due_is_recorded_once_per_item_and_due_date(meeting, lead, member):
    today = date(2030, 11, 20)
    item = action_item_add(
        meeting=meeting, user=lead, owner=member, text="write the docs", due_date=today
    )
    action_item_add(
        meeting=meeting, user=lead, owner=member, text="later", due_date=today + timedelta(days=1)
    )

    assert action_items_due_announce(today=today) == 1
    assert action_items_due_announce(today=today) == 0
    item.due_date = today + timedelta(days=3)
    item.save()
    assert action_items_due_announce(today=today + timedelta(days=3)) == 2

    subjects = [e.subject for e in events(EventKind.ACTION_ITEM_DUE)]
    assert subjects == [
        "Action item due today: stakeholder to write the docs",
        "Action item due today: stakeholder to write the docs",
        "Action item due since 2030-11-21: stakeholder to later",
    ]


def test_closed_action_items_are_not_due(meeting, lead, member):
    yesterday = timezone.localdate() - timedelta(days=1)
    item = action_item_add(
        meeting=meeting, user=lead, owner=member, text="done already", due_date=yesterday
    )
    action_item_add(meeting=meeting, user=lead, owner=member, text="open", due_date=yesterday)
    action_item_set_status(item=item, user=member, status=ActionStatus.DONE)

    assert action_items_due() == 1
    assert [e.subject for e in events(EventKind.ACTION_ITEM_DUE)] == [
        f"Action item due since {yesterday:%Y-%m-%d}: stakeholder to open"
    ]


def test_an_action_item_due_is_mailed_to_its_owner_only_and_posted_to_rooms(
    meeting, lead, member, other_member
):
    room = subscribe_room(EventKind.ACTION_ITEM_DUE)
    owners = subscribe_email(member, EventKind.ACTION_ITEM_DUE)
    subscribe_email(other_member, EventKind.ACTION_ITEM_DUE)
    action_item_add(
        meeting=meeting, user=lead, owner=member, text="ping releng", due_date=timezone.localdate()
    )

    assert action_items_due() == 1

    assert set(Notification.objects.values_list("subscription", flat=True)) == {room.pk, owners.pk}


def test_an_image_turning_unhealthy_and_recovering_are_one_event_each(registry, pusher, repo):  # noqa: F811
    now = timezone.now()
    Subscription.objects.create(
        kind=EventKind.IMAGE_UNHEALTHY, channel=Channel.MATRIX, room="!ops:example.org"
    )
    pusher.push_multiarch(
        repo, "44", architectures=TWO_ARCHES, created=iso(now - timedelta(days=3))
    )
    image = WatchedImageFactory(registry=registry.host, repository=repo)

    image_poll(image=image, now=now)
    image_poll(image=image, now=now + timedelta(hours=1))
    pusher.push_multiarch(
        repo, "44", architectures=TWO_ARCHES, created=iso(now + timedelta(hours=2))
    )
    image_poll(image=image, now=now + timedelta(hours=3))

    unhealthy, recovered = Event.objects.order_by("pk")
    ref = f"{image.reference}:44"
    assert (unhealthy.kind, unhealthy.subject) == (EventKind.IMAGE_UNHEALTHY, f"{ref} is stale")
    assert (recovered.kind, recovered.subject) == (
        EventKind.IMAGE_RECOVERED,
        f"{ref} is healthy again",
    )
    assert unhealthy.notifications.count() == 1
    assert recovered.notifications.count() == 0


def test_an_action_item_given_or_reassigned_is_mailed_to_its_new_owner_and_posted_to_rooms(
    meeting, lead, member, other_member
):
    room = subscribe_room(EventKind.ACTION_ITEM_ASSIGNED)
    members = subscribe_email(member, EventKind.ACTION_ITEM_ASSIGNED)
    others = subscribe_email(other_member, EventKind.ACTION_ITEM_ASSIGNED)
    item = action_item_add(
        meeting=meeting, user=lead, owner=member, text="ping releng", due_date=date(2030, 1, 9)
    )
    action_item_reassign(item=item, user=lead, owner=other_member)
    action_item_reassign(item=item, user=lead, owner=other_member)  # already theirs: no news

    given, reassigned = events(EventKind.ACTION_ITEM_ASSIGNED)
    assert given.subject == "Action item for stakeholder: ping releng (due 2030-01-09)"
    assert reassigned.subject == (
        f"Action item for {other_member}, taken over from stakeholder: ping releng (due 2030-01-09)"
    )
    assert {n.subscription_id for n in given.notifications.all()} == {room.pk, members.pk}
    assert {n.subscription_id for n in reassigned.notifications.all()} == {room.pk, others.pk}


def test_a_milestone_replanned_is_an_event_naming_what_moved(initiative, lead):
    subscribe_room(EventKind.MILESTONE_PLAN_CHANGED)
    milestone = Milestone.objects.exclude(target_date=None).first()
    old_date, old_owner = milestone.target_date, milestone.owner

    milestone_edit_plan(milestone=milestone, user=lead, target_date=old_date, owner=old_owner)
    milestone_edit_plan(
        milestone=milestone, user=lead, target_date=date(2031, 5, 1), owner="releng"
    )

    [event] = events(EventKind.MILESTONE_PLAN_CHANGED)
    assert event.subject == f"Milestone replanned: {milestone.title}"
    assert event.body == (
        f"Target date {old_date:%Y-%m-%d} → 2031-05-01; owner {old_owner or 'nobody'} → releng."
    )
    assert Notification.objects.filter(event=event).count() == 1
