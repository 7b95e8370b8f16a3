"""The bus receivers: image health, the meeting's decisions and minutes, published as messages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from fedora_messaging.message import get_class

from fedimage.bus import services
from fedimage.bus.models import BusMessage
from fedimage.health.services import image_poll
from fedimage.initiative import services as initiative_services
from fedimage.meetings import services as meeting_services
from fedimage_messages import SCHEMAS
from tests.health.factories import WatchedImageFactory
from tests.initiative.factories import SubprojectFactory

pytestmark = pytest.mark.django_db


def recorded(topic: str) -> list:
    """The messages recorded for a topic, each validated by its schema class."""
    messages = []
    for row in BusMessage.objects.filter(topic=topic).order_by("created_at", "id"):
        message = get_class(row.schema)(body=row.body, topic=row.topic, severity=row.severity)
        message.validate()
        messages.append(message)
    return messages


def test_an_image_tag_turning_unhealthy_and_recovering_is_announced_once_each(
    bus, registry, pusher, repo
):
    now = timezone.now()
    subproject = SubprojectFactory(key="iot", name="Fedora IoT", owners="pwhalen, runcom")
    image = WatchedImageFactory(
        registry=registry.host,
        repository=repo,
        subproject=subproject,
        expected_arches=["amd64", "arm64"],
    )
    pusher.push_multiarch(repo, "44", architectures=("amd64",), created=now.isoformat())
    image_poll(image=image, now=now)
    image_poll(image=image, now=now + timedelta(minutes=10))  # still degraded: no news
    pusher.push_multiarch(repo, "44", architectures=("amd64", "arm64"), created=now.isoformat())
    image_poll(image=image, now=now + timedelta(minutes=20))

    [unhealthy] = recorded("fedimage.image.unhealthy")
    [recovered] = recorded("fedimage.image.recovered")
    ref = f"{registry.host}/{repo}:44"
    assert unhealthy.summary == f"{ref} is degraded: {unhealthy.body['reason']}"
    assert unhealthy.body["reason"].startswith("no arm64 build")
    assert unhealthy.usernames == ["pwhalen", "runcom"]
    assert unhealthy.containers == [f"{registry.host}/{repo}"]
    assert unhealthy.agent_name is None
    assert recovered.summary == f"{ref} is healthy again"
    assert recovered.url.endswith(f"/health/images/{image.key}/#tag-44")


def test_a_meeting_decision_on_a_blocker_is_announced(bus, initiative, lead, member):
    blocker = initiative_services.blocker_file(reporter=member, title="No aarch64 installer")
    meeting = meeting_services.meeting_schedule(user=lead, starts_at=timezone.now())
    meeting_services.vote_cast(blocker=blocker, user=member, value=1)
    meeting_services.review_decide(
        blocker=blocker, meeting=meeting, user=lead, state="accepted", reason="Blocks F45 beta"
    )
    [review] = recorded("fedimage.blocker.review")
    assert review.summary == (
        f"The weekly meeting decided: blocker #{blocker.pk} \u201cNo aarch64 installer\u201d "
        "accepted as a blocker"
    )
    assert "Reason: Blocks F45 beta" in str(review)
    assert review.usernames == ["leader", "stakeholder"]


def test_minutes_are_announced_once_per_meeting_after_it_ends(bus, initiative, lead, member):
    start = timezone.now() - timedelta(hours=2)
    meeting = meeting_services.meeting_schedule(user=lead, starts_at=start, duration_minutes=60)
    meeting_services.meeting_update(meeting=meeting, user=lead, attendees=[lead, member])
    meeting_services.decision_record(meeting=meeting, user=lead, text="Ship the F45 beta")
    meeting_services.action_item_add(meeting=meeting, user=lead, owner=member, text="Test it")
    later = meeting_services.meeting_schedule(user=lead, starts_at=timezone.now())  # not over

    assert services.minutes_announce() == 1
    assert services.minutes_announce() == 0
    [minutes] = recorded("fedimage.meeting.minutes")
    assert minutes.body["meeting"]["id"] == meeting.pk != later.pk
    assert minutes.summary == (
        f"Minutes of {meeting.title} ({start:%Y-%m-%d}): 1 decisions, 1 action items"
    )
    assert minutes.usernames == ["leader", "stakeholder"]
    assert minutes.body["meeting"]["minutes"]["text"].endswith(
        f"/meetings/{meeting.pk}/minutes/text/"
    )


def test_every_schema_is_registered_under_its_topic():
    for name, cls in SCHEMAS.items():
        assert get_class(name) is cls
        assert name == f"{cls.topic}.v1"
