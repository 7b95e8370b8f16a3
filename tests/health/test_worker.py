"""health.poll_image through the Redis broker and a real worker, against the real registry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fedimage.health.models import HealthState, Sample, TagState
from fedimage.health.tasks import poll_image
from tests.health.factories import WatchedImageFactory
from tests.health.oci import OciPusher
from tests.health.registry_server import RegistryServer
from tests.worker import redis_worker, wait_for


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_redis_polls_an_image(
    registry: RegistryServer, pusher: OciPusher, repo: str
) -> None:
    created = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    pushed = pusher.push_multiarch(repo, "44", architectures=("amd64", "arm64"), created=created)
    image = WatchedImageFactory(registry=registry.host, repository=repo)

    with redis_worker():
        poll_image.delay(image.pk)
        polled = wait_for(lambda: Sample.objects.filter(tag__image=image).exists())

    assert polled
    state = TagState.objects.get(image=image)
    assert (state.state, state.digest) == (HealthState.HEALTHY, pushed.digest)
    assert state.digests.count() == 1
