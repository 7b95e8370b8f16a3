"""Polls through the Redis broker and real workers, against the real registry; a killed poll."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from fedimage.health.models import HealthState, PollRun, PollStatus, Sample, TagState
from fedimage.health.services import PollBusy, image_poll_run, runs_close_stranded
from fedimage.health.tasks import poll_all, poll_image
from tests.health.factories import WatchedImageFactory, watch
from tests.health.oci import TWO_ARCHES, OciPusher, iso, stub_single_arch
from tests.health.registry_server import RegistryServer, StubResponse, StubServer
from tests.worker import redis_worker, wait_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_redis_polls_an_image(
    registry: RegistryServer, pusher: OciPusher, repo: str
) -> None:
    created = iso(timezone.now() - timedelta(hours=1))
    pushed = pusher.push_multiarch(repo, "44", architectures=TWO_ARCHES, created=created)
    image = WatchedImageFactory(registry=registry.host, repository=repo)

    with redis_worker():
        poll_image.delay(image.pk)
        polled = wait_for(lambda: Sample.objects.filter(tag__image=image).exists())

    assert polled
    state = TagState.objects.get(image=image)
    assert (state.state, state.digest) == (HealthState.HEALTHY, pushed.digest)
    assert state.digests.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_schedule_polls_every_image_through_the_outbox_and_a_worker(
    registry: RegistryServer, pusher: OciPusher, repo: str
) -> None:
    created = iso(timezone.now() - timedelta(hours=1))
    images = []
    for n in range(3):
        pusher.push_multiarch(f"{repo}-{n}", "44", architectures=TWO_ARCHES, created=created)
        images.append(WatchedImageFactory(registry=registry.host, repository=f"{repo}-{n}"))

    with redis_worker():
        poll_all.delay()
        done = wait_for(
            lambda: PollRun.objects.filter(status=PollStatus.DONE).count() == len(images)
        )

    assert done
    assert set(TagState.objects.values_list("state", flat=True)) == {HealthState.HEALTHY}


POLLER = """
import sys, django
django.setup()
from fedimage.health.services import image_poll_run
image_poll_run(image_id=int(sys.argv[1]), run_id=int(sys.argv[2]), final_attempt=False)
"""


@pytest.mark.django_db(transaction=True)
def test_a_killed_poll_frees_the_registrys_polling_slot_within_seconds(
    stub_server: StubServer, now, settings
) -> None:
    """A poll killed mid-request (SIGKILL, as the OOM killer does) held the image's lock and
    the registry's only slot; both lapse with their holder, so the next poll runs within the
    lock TTL instead of meeting "busy" for minutes, and the dead run is closed as such."""
    stub_single_arch(stub_server, "r", "44", now)
    answer = stub_server.routes[("*", "/v2/r/manifests/44")]
    first_request, release = threading.Event(), threading.Event()

    def hang_first(method: str, path: str, headers: dict) -> StubResponse:
        if not first_request.is_set():
            first_request.set()
            release.wait(60)
        return answer

    stub_server.route("*", "/v2/r/manifests/44", hang_first)
    image = watch(stub_server, "r", expected_arches=["amd64"])
    runs = [
        PollRun.objects.create(image=image, batch=f"00000000-0000-4000-8000-00000000000{n}",
                               trigger="manual")
        for n in range(2)
    ]  # fmt: skip
    ttl = 2
    database = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
        f"{database['NAME']}",
        "LOCK_TTL_SECONDS": str(ttl),
        "HEALTH_REGISTRY_CONCURRENCY": "1",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    with subprocess.Popen(
        [sys.executable, "-c", POLLER, str(image.pk), str(runs[0].pk)], cwd=ROOT, env=env
    ) as poller:
        try:
            assert first_request.wait(30), "the poller never reached the registry"
            poller.send_signal(signal.SIGKILL)
            poller.wait(timeout=10)
        finally:
            release.set()
            poller.kill()

    def polled() -> bool:
        try:
            image_poll_run(image_id=image.pk, run_id=runs[1].pk, final_attempt=False)
        except PollBusy:
            return False
        return True

    settings.LOCK_TTL_SECONDS = ttl
    settings.HEALTH_REGISTRY_CONCURRENCY = 1
    assert wait_for(polled, timeout=10 * ttl)
    runs[1].refresh_from_db()
    assert runs[1].status == PollStatus.DONE
    assert wait_for(lambda: runs_close_stranded() == 1, timeout=10 * ttl)
    runs[0].refresh_from_db()
    assert runs[0].status == PollStatus.FAILED
    assert TagState.objects.get(image=image).state == HealthState.HEALTHY
