"""The Celery tasks and the poll_images command, against a real registry and real locks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from fedimage.celery import app
from fedimage.core.locks import single_flight
from fedimage.health.models import HealthState, Sample, TagState
from fedimage.health.tasks import poll_all, poll_image, registry_slot
from tests.health.factories import WatchedImageFactory
from tests.health.oci import OciPusher
from tests.health.registry_server import RegistryServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Run queued tasks in-process, so the fan-out can be followed to its end."""
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = False


@pytest.fixture
def fresh_image(registry: RegistryServer, pusher: OciPusher, repo: str):
    created = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    pusher.push_multiarch(repo, "44", architectures=("amd64", "arm64"), created=created)
    return WatchedImageFactory(key=repo.rsplit("/", 1)[1], registry=registry.host, repository=repo)


def test_poll_image_task_polls_and_a_second_run_is_just_another_sample(fresh_image) -> None:
    assert poll_image.apply(args=[fresh_image.pk]).get() == "1 tags, 7 requests"
    assert poll_image.apply(args=[fresh_image.pk]).get() == "1 tags, 1 requests"

    state = TagState.objects.get(image=fresh_image)
    assert state.state == HealthState.HEALTHY
    assert state.digests.count() == 1
    assert state.samples.count() == 2


def test_poll_image_task_skips_while_another_poll_of_the_image_holds_the_lock(
    fresh_image,
) -> None:
    with single_flight(f"health.poll_image:{fresh_image.pk}") as held:
        assert held
        result = poll_image.apply(args=[fresh_image.pk]).get()

    assert result == "already polling"
    assert not Sample.objects.filter(tag__image=fresh_image).exists()


def test_poll_image_task_returns_quietly_for_a_deleted_image() -> None:
    assert poll_image.apply(args=[987654321]).get() == "gone"


def test_registry_slots_bound_concurrent_polls_of_one_registry() -> None:
    with (
        registry_slot("slots.example", limit=2) as first,
        registry_slot("slots.example", limit=2) as second,
        registry_slot("slots.example", limit=2) as third,
    ):
        assert (bool(first), bool(second), bool(third)) == (True, True, False)
    with registry_slot("slots.example", limit=2) as again:
        assert again


def test_poll_all_fans_out_one_poll_per_active_image(
    eager_celery: None, fresh_image, registry: RegistryServer
) -> None:
    retired = WatchedImageFactory(registry=registry.host, active=False)

    assert poll_all.delay().get() == 1

    assert TagState.objects.get(image=fresh_image).state == HealthState.HEALTHY
    assert TagState.objects.get(image=retired).state == HealthState.PENDING


def test_poll_images_command_prints_each_tags_state(fresh_image) -> None:
    out = StringIO()

    call_command("poll_images", "--image", fresh_image.key, stdout=out)

    assert f"{fresh_image.reference}:44  HEALTHY  built 1 hour ago" in out.getvalue()
    assert "(7 requests)" in out.getvalue()


def test_poll_images_command_rejects_an_unknown_image() -> None:
    with pytest.raises(CommandError, match="No watched image 'nope'"):
        call_command("poll_images", "--image", "nope", stdout=StringIO())
