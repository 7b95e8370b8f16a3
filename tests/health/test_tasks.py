"""The Celery tasks and their runs, against a real registry, real locks and the outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fedimage.core.locks import single_flight
from fedimage.core.models import OutboxMessage
from fedimage.health.models import HealthState, PollRun, PollStatus, PollTrigger, Sample, TagState
from fedimage.health.services import (
    ImageBusy,
    PollThrottled,
    RegistryBusy,
    image_poll_run,
    registry_slot,
)
from fedimage.health.tasks import poll_all, poll_image, thin_samples
from tests.health.factories import WatchedImageFactory, watch
from tests.health.oci import TWO_ARCHES, OciPusher, iso
from tests.health.registry_server import RegistryServer, StubResponse, StubServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh_image(registry: RegistryServer, pusher: OciPusher, repo: str):
    pusher.push_multiarch(
        repo, "44", architectures=TWO_ARCHES, created=iso(timezone.now() - timedelta(hours=1))
    )
    return WatchedImageFactory(key=repo.rsplit("/", 1)[1], registry=registry.host, repository=repo)


def _run(image, **fields) -> PollRun:
    return PollRun.objects.create(
        image=image, batch=fields.pop("batch", "6b1f5e0c-0000-4000-8000-000000000000"),
        trigger=fields.pop("trigger", PollTrigger.MANUAL), **fields,
    )  # fmt: skip


def test_poll_image_task_polls_and_a_second_run_is_just_another_sample(fresh_image) -> None:
    assert poll_image.apply(args=[fresh_image.pk]).get() == "1 tag, 7 requests"
    assert poll_image.apply(args=[fresh_image.pk]).get() == "1 tag, 1 requests"

    state = TagState.objects.get(image=fresh_image)
    assert state.state == HealthState.HEALTHY
    assert state.digests.count() == 1
    assert state.samples.count() == 2


def test_a_run_goes_from_queued_to_done_with_its_counts(fresh_image) -> None:
    run = _run(fresh_image)

    poll_image.apply(args=[fresh_image.pk], kwargs={"run_id": run.pk}).get()

    run.refresh_from_db()
    assert run.status == PollStatus.DONE
    assert (run.tags_total, run.tags_checked, run.tags_changed, run.new_digests) == (1, 1, 1, 1)
    assert run.requests == 7
    assert run.message == "1 tag: 1 healthy"
    assert run.started_at <= run.finished_at
    # Delivered again (a worker died after finishing): nothing is done twice.
    assert poll_image.apply(args=[fresh_image.pk], kwargs={"run_id": run.pk}).get() == (
        "already done"
    )
    assert Sample.objects.filter(tag__image=fresh_image).count() == 1


def test_a_poll_meeting_the_images_lock_waits_for_it_and_polls_nothing(fresh_image) -> None:
    run = _run(fresh_image)
    with single_flight(f"health.poll_image:{fresh_image.pk}") as held:
        assert held
        with pytest.raises(ImageBusy) as busy:
            image_poll_run(image_id=fresh_image.pk, run_id=run.pk, final_attempt=False)

    run.refresh_from_db()
    assert busy.value.retry_after > 0
    assert run.status == PollStatus.WAITING
    assert run.message.startswith(f"another poll of {fresh_image.name} is running; trying again")
    assert not Sample.objects.filter(tag__image=fresh_image).exists()


def test_poll_image_task_returns_quietly_for_a_deleted_image_and_closes_its_run(
    fresh_image,
) -> None:
    run = _run(fresh_image)
    fresh_image.active = False
    fresh_image.save()

    assert poll_image.apply(args=[fresh_image.pk], kwargs={"run_id": run.pk}).get() == "gone"
    assert poll_image.apply(args=[987654321]).get() == "gone"
    run.refresh_from_db()
    assert (run.status, run.message) == (PollStatus.FAILED, "the image is no longer watched")


def test_registry_slots_bound_concurrent_polls_of_one_registry() -> None:
    with (
        registry_slot("slots.example", limit=2) as first,
        registry_slot("slots.example", limit=2) as second,
        registry_slot("slots.example", limit=2) as third,
    ):
        assert (bool(first), bool(second), bool(third)) == (True, True, False)
        assert third.retry_after > 0
    with registry_slot("slots.example", limit=2) as again:
        assert again


def test_a_busy_registry_makes_the_run_wait_then_give_up_on_the_last_try(
    fresh_image, settings
) -> None:
    settings.HEALTH_REGISTRY_CONCURRENCY = 1
    run = _run(fresh_image)
    with registry_slot(fresh_image.registry):
        with pytest.raises(RegistryBusy) as busy:
            image_poll_run(image_id=fresh_image.pk, run_id=run.pk, final_attempt=False)
        run.refresh_from_db()
        assert run.status == PollStatus.WAITING
        assert run.message.startswith(
            f"{fresh_image.registry} is busy: 1 polls of it already running; trying again in"
        )
        assert run.retry_at is not None
        assert busy.value.retry_after > 0
        with pytest.raises(RegistryBusy):
            image_poll_run(image_id=fresh_image.pk, run_id=run.pk, final_attempt=True)

    run.refresh_from_db()
    assert run.status == PollStatus.FAILED
    assert run.message.startswith("gave up: ")


def test_a_throttling_registry_makes_the_run_wait_for_its_retry_after(
    stub_server: StubServer, now
) -> None:
    stub_server.route("*", "/v2/r/manifests/44", StubResponse(429, {"Retry-After": "120"}))
    image = watch(stub_server, "r")
    run = _run(image)

    with pytest.raises(PollThrottled) as throttled:
        image_poll_run(image_id=image.pk, run_id=run.pk, final_attempt=False)

    run.refresh_from_db()
    assert throttled.value.retry_after == 120
    assert run.status == PollStatus.WAITING
    assert run.message == (
        f"{stub_server.host} is throttling requests (HTTP 429); trying again in 2 minutes"
    )
    # Other polls of the registry wait too, without a request.
    asked_before = len(stub_server.requests)
    with pytest.raises(PollThrottled):
        image_poll_run(image_id=image.pk, run_id=run.pk, final_attempt=False)
    assert len(stub_server.requests) == asked_before


def test_poll_all_closes_stranded_runs_and_asks_for_one_poll_per_active_image(
    fresh_image, registry: RegistryServer
) -> None:
    WatchedImageFactory(registry=registry.host, active=False)
    stranded = _run(fresh_image, status=PollStatus.RUNNING)
    PollRun.objects.filter(pk=stranded.pk).update(updated_at=timezone.now() - timedelta(hours=1))

    assert poll_all.apply().get() == 1

    stranded.refresh_from_db()
    assert stranded.status == PollStatus.FAILED
    run = PollRun.objects.exclude(pk=stranded.pk).get()
    assert (run.image, run.trigger, run.status) == (fresh_image, PollTrigger.SCHEDULE, "queued")
    # Sent after the commit through the outbox (tests/health/test_worker.py follows it through).
    [message] = OutboxMessage.objects.all()
    assert (message.task, message.args, message.kwargs) == (
        "health.poll_image",
        [fresh_image.pk],
        {"run_id": run.pk},
    )


def test_poll_all_asks_nothing_for_an_image_already_being_polled(fresh_image) -> None:
    running = _run(fresh_image, status=PollStatus.RUNNING)

    assert poll_all.apply().get() == 0

    follower = PollRun.objects.exclude(pk=running.pk).get()
    assert follower.follows == running
    assert not OutboxMessage.objects.exists()


def test_the_daily_job_forgets_old_runs(fresh_image) -> None:
    old = _run(fresh_image, status=PollStatus.DONE, finished_at=timezone.now())
    PollRun.objects.filter(pk=old.pk).update(queued_at=timezone.now() - timedelta(days=8))
    kept = _run(fresh_image, status=PollStatus.DONE, finished_at=timezone.now())

    thin_samples.apply().get()

    assert list(PollRun.objects.all()) == [kept]
