"""An image tag turning unhealthy or recovering is an event, once per incident."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fedimage.health.services import image_poll
from fedimage.notifications.models import Channel, Event, EventKind, Subscription
from tests.health.conftest import pusher, registry, repo  # noqa: F401 - fixtures
from tests.health.factories import WatchedImageFactory
from tests.health.oci import TWO_ARCHES, iso

pytestmark = pytest.mark.django_db


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
