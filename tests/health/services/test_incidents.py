"""Automatic blockers: opened past the grace period, resolved on recovery."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from fedimage.health.models import HealthState
from fedimage.health.services import SYSTEM_USERNAME, image_poll
from fedimage.initiative.models import BlockerStatus
from tests.health.factories import tag_state, watch
from tests.health.oci import TWO_ARCHES, OciPusher, iso
from tests.health.registry_server import RegistryServer, StubResponse, StubServer
from tests.initiative.factories import MilestoneFactory, SubprojectFactory

pytestmark = pytest.mark.django_db


def test_incident_past_the_grace_period_opens_one_blocker_and_recovery_resolves_it(
    registry: RegistryServer, pusher: OciPusher, repo: str, now: datetime
) -> None:
    pusher.push_multiarch(
        repo, "44", architectures=TWO_ARCHES, created=iso(now - timedelta(days=3))
    )
    subproject, milestone = SubprojectFactory(), MilestoneFactory()
    image = watch(registry, repo, grace_hours=6, subproject=subproject, milestone=milestone)

    image_poll(image=image, now=now)
    assert tag_state(image).blocker is None  # stale, but within the grace period
    image_poll(image=image, now=now + timedelta(hours=7))
    image_poll(image=image, now=now + timedelta(hours=8))

    state = tag_state(image)
    blocker = state.blocker
    assert blocker is not None
    assert blocker.reporter.username == SYSTEM_USERNAME
    assert blocker.title == f"{image.reference}:44 is stale"
    assert list(blocker.subprojects.all()) == [subproject]
    assert list(blocker.milestones.all()) == [milestone]
    assert subproject.blockers.count() == 1

    pusher.push_multiarch(
        repo, "44", architectures=TWO_ARCHES, created=iso(now + timedelta(hours=9))
    )
    image_poll(image=image, now=now + timedelta(hours=10))

    blocker.refresh_from_db()
    assert blocker.status == BlockerStatus.RESOLVED
    assert "Resolved by the health check" in blocker.description
    latest = blocker.history.latest()
    assert latest.history_user.username == SYSTEM_USERNAME
    assert latest.prev_record.status == BlockerStatus.OPEN
    assert tag_state(image).blocker is None


def test_registry_outage_never_starts_an_incident_or_opens_a_blocker(
    stub_server: StubServer, now: datetime
) -> None:
    stub_server.route("*", "/v2/r/manifests/44", StubResponse(503))
    image = watch(stub_server, "r", grace_hours=0)

    image_poll(image=image, now=now)
    image_poll(image=image, now=now + timedelta(days=3))

    state = tag_state(image)
    assert state.state == HealthState.UNREACHABLE
    assert state.blocker is None
    assert state.unhealthy_since is None
