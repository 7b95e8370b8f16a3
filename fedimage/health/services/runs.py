"""Poll runs: a poll asked for (by the schedule or a lead's "Poll now"), run, and its outcome.

A run moves queued → running → done (or waiting, when the registry is busy or throttling, and
failed when it gives up); the pages show it as it goes. Asking for a poll of an image already
being polled starts nothing: the new run follows the one in progress and shows its progress.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import connection, transaction
from django.utils import timezone

from fedimage.core import outbox
from fedimage.core.durations import duration_words
from fedimage.core.locks import Lease, semaphore, single_flight
from fedimage.core.permissions import require
from fedimage.health.models import (
    ACTIVE_POLL_STATUSES,
    PollRun,
    PollStatus,
    PollTrigger,
    WatchedImage,
    alive_runs,
)
from fedimage.health.services.polling import PollReport, PollThrottled, image_poll

POLL_TASK = "health.poll_image"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PollRequest:
    batch: uuid.UUID
    runs: list[PollRun]  # one per image asked for; `follows` set where one was in progress
    started: list[PollRun]  # the runs whose task is queued now

    @property
    def joined(self) -> int:
        return len(self.runs) - len(self.started)


def polls_request(
    *,
    images: Iterable[WatchedImage],
    trigger: str,
    user: User | AnonymousUser | None = None,
) -> PollRequest:
    """Ask for a poll of each image; queue one task per image not already being polled.

    The tasks go through the outbox in this transaction, so a broker outage never loses them.
    A poll asked for by hand needs the `health.poll_now` rule.
    """
    if trigger == PollTrigger.MANUAL:
        require(user, "health.poll_now")
    now = timezone.now()
    images = list(images)
    batch = uuid.uuid4()
    requested_by = user if isinstance(user, User) else None
    with transaction.atomic():
        current = {
            run.image_id: run
            for run in PollRun.objects.select_for_update(of=("self",))
            .filter(alive_runs(now), image__in=images, follows__isnull=True)
            .order_by("queued_at")
        }
        runs = [
            PollRun(
                image=image,
                batch=batch,
                trigger=trigger,
                requested_by=requested_by,
                queued_at=now,
                updated_at=now,
                follows=current.get(image.pk),
                status=PollStatus.QUEUED,
                tags_total=len(image.tags),
            )
            for image in images
        ]
        PollRun.objects.bulk_create(runs)
        started = [run for run in runs if run.follows is None]
        for run in started:
            # By name: the task module imports these services.
            outbox.enqueue(POLL_TASK, args=[run.image_id], kwargs={"run_id": run.pk})
    return PollRequest(batch=batch, runs=runs, started=started)


def run_start(*, run: PollRun, tags_total: int) -> None:
    now = timezone.now()
    run.status, run.started_at, run.updated_at = PollStatus.RUNNING, now, now
    run.tags_total, run.retry_at, run.message = tags_total, None, ""
    run.save(
        update_fields=["status", "started_at", "updated_at", "tags_total", "retry_at", "message"]
    )


def run_progress(*, run: PollRun, tags_checked: int, tags_changed: int) -> None:
    run.tags_checked, run.tags_changed, run.updated_at = tags_checked, tags_changed, timezone.now()
    run.message = (
        f"reading what changed in {tags_changed} tag{'' if tags_changed == 1 else 's'}"
        if tags_changed
        else "recording what was seen"
    )
    run.save(update_fields=["tags_checked", "tags_changed", "updated_at", "message"])


def run_finish(*, run: PollRun, report: PollReport) -> None:
    now = timezone.now()
    run.status, run.finished_at, run.updated_at = PollStatus.DONE, now, now
    run.tags_total = run.tags_checked = len(report.outcomes)
    run.tags_changed, run.new_digests = report.changed, report.new_digests
    run.requests = report.requests
    states: dict[str, int] = {}
    for outcome in report.outcomes:
        states[outcome.state] = states.get(outcome.state, 0) + 1
    words = ", ".join(f"{n} {state}" for state, n in sorted(states.items()))
    tags = len(report.outcomes)
    run.message = f"{tags} tag{'' if tags == 1 else 's'}: {words or 'none watched'}"[:300]
    run.save()
    # One line per run with its outcome (the registry client's per-request lines are DEBUG).
    logger.info(
        "health: %s: poll done in %.1fs: %s; %d changed, %d new digests, %d requests",
        run.image.key, (now - (run.started_at or run.queued_at)).total_seconds(), run.message,
        run.tags_changed, run.new_digests, run.requests,
    )  # fmt: skip


def run_wait(*, run: PollRun, why: str, retry_after: float | None) -> None:
    """The registry is busy or throttling: the run waits for its retry."""
    now = timezone.now()
    wait = retry_after if retry_after is not None else 30.0
    run.status, run.updated_at = PollStatus.WAITING, now
    run.retry_at = now + timedelta(seconds=wait)
    run.message = f"{why}; trying again in {duration_words(wait)}"[:300]
    run.save(update_fields=["status", "updated_at", "retry_at", "message"])


def run_fail(*, run: PollRun, why: str) -> None:
    now = timezone.now()
    run.status, run.finished_at, run.updated_at, run.message = (
        PollStatus.FAILED,
        now,
        now,
        why[:300],
    )
    run.save(update_fields=["status", "finished_at", "updated_at", "message"])
    logger.warning("health: %s: poll failed: %s", run.image.key, run.message)


def runs_close_stranded(*, now: datetime | None = None) -> int:
    """Close runs whose worker died without a word; return how many."""
    now = now or timezone.now()
    return (
        PollRun.objects.filter(status__in=ACTIVE_POLL_STATUSES)
        .exclude(alive_runs(now))
        .update(
            status=PollStatus.FAILED,
            finished_at=now,
            updated_at=now,
            message="stopped without a word (its worker died); the next poll catches up",
        )
    )


class PollBusy(Exception):
    """The poll cannot start yet: try again after `retry_after` seconds."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RegistryBusy(PollBusy):
    """Every polling slot of the registry is taken."""


class ImageBusy(PollBusy):
    """Another poll of the image holds its lock."""


@contextmanager
def registry_slot(registry: str, *, limit: int | None = None) -> Iterator[Lease]:
    """Yield a held lease on one of the registry's `limit` polling slots, or one not held.

    Slots are heartbeat locks: a poll killed mid-way frees its slot within the lock TTL.
    """
    limit = limit or settings.HEALTH_REGISTRY_CONCURRENCY
    with semaphore(f"health.registry:{registry}", limit=limit) as lease:
        yield lease


def image_poll_run(*, image_id: int, run_id: int | None, final_attempt: bool) -> str:
    """Do one asked-for poll: under the image's lock and a slot of its registry, with its run
    kept up to date. Idempotent: a run already done is not done again.

    Raises RegistryBusy or PollThrottled (each with `retry_after`) for the task to retry; on
    the final attempt the run is closed as failed first.
    """
    run = PollRun.objects.filter(pk=run_id).first() if run_id is not None else None
    image = WatchedImage.objects.filter(pk=image_id, active=True).select_related("base").first()
    if image is None:
        if run is not None:
            run_fail(run=run, why="the image is no longer watched")
        return "gone"
    if run is None:  # a message queued before runs existed
        run = PollRun.objects.create(image=image, batch=uuid.uuid4(), trigger=PollTrigger.SCHEDULE)
    if run.status == PollStatus.DONE:
        return "already done"
    with single_flight(f"health.poll_image:{image.pk}") as lease:
        if not lease:
            busy: PollBusy = ImageBusy(
                f"another poll of {image.name} is running", retry_after=lease.retry_after
            )
            _wait_or_fail(run, busy, final_attempt=final_attempt)
            raise busy
        with registry_slot(image.registry) as slot:
            if not slot:
                limit = settings.HEALTH_REGISTRY_CONCURRENCY
                busy = RegistryBusy(
                    f"{image.registry} is busy: {limit} polls of it already running",
                    retry_after=slot.retry_after,
                )
                _wait_or_fail(run, busy, final_attempt=final_attempt)
                raise busy
            run_start(run=run, tags_total=image.tag_states.filter(active=True).count())
            with _heartbeat(run):
                report = image_poll(
                    image=image,
                    on_heads=lambda checked, changed: run_progress(
                        run=run, tags_checked=checked, tags_changed=changed
                    ),
                )
    if report.throttled is not None:
        _wait_or_fail(run, report.throttled, final_attempt=final_attempt)
        raise report.throttled
    run.image = image  # the run's log line names it without another query
    run_finish(run=run, report=report)
    tags = len(report.outcomes)
    return f"{tags} tag{'' if tags == 1 else 's'}, {report.requests} requests"


def _wait_or_fail(run: PollRun, error: PollBusy | PollThrottled, *, final_attempt: bool) -> None:
    if final_attempt:
        run_fail(run=run, why=f"gave up: {error}")
    else:
        run_wait(run=run, why=str(error), retry_after=error.retry_after)


@contextmanager
def _heartbeat(run: PollRun) -> Iterator[None]:
    """Keep the running run's `updated_at` fresh, so it dies with its worker (see alive_runs)."""
    stop = threading.Event()
    every = float(settings.LOCK_TTL_SECONDS) / 3

    def beat() -> None:
        try:
            while not stop.wait(every):
                PollRun.objects.filter(pk=run.pk, status=PollStatus.RUNNING).update(
                    updated_at=timezone.now()
                )
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"poll-run-heartbeat:{run.pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=every + 5)
