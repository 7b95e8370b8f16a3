"""Workers killed with SIGKILL mid-work, against the real Redis and PostgreSQL.

Killed whole (the OOM killer or `docker kill` taking the worker), its task is redelivered by the
broker within the visibility timeout (seconds here, minutes in production) to the worker that
replaces it. Only its pool child killed, the worker requeues the task at once and the dead
child's lock lapses within its TTL. Either way the work completes exactly once in effect:
nothing duplicated, the run the dead worker left "running" closed.
"""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.db.models import Count
from django.utils import timezone

from fedimage.health import tasks as health_tasks
from fedimage.health.models import DigestRecord, HealthState, Sample, StateChange, TagState
from tests.system.netproxy import TcpProxy
from tests.system.stack import Stack
from tests.trackers.fakes import FakeGitHub
from trackers import tasks as tracker_tasks
from trackers.models import RunKind, RunStatus, SyncRun, TrackedIssue, TrackerSource

REPO = "bootc-dev/bootc"
TOKEN = "ghp_crashtest0001"
ISSUES = 600  # six pages of 100
TAGS = [f"44.{n}" for n in range(20)]


class SlowPages:
    """The fake's between-pages hook: note each page served, and dawdle while asked to."""

    def __init__(self) -> None:
        self.served = 0
        # Set: serve the next page at once. Clear: wait a second first (a slow tracker).
        self.slow = threading.Event()
        self.second_page = threading.Event()

    def __call__(self, page: int) -> None:
        self.served += 1
        if self.served >= 2:
            self.second_page.set()
        self.slow.wait(1.0)


def kill(worker, how: str) -> None:
    """Kill the worker whole (main process and pool child), or only its pool child."""
    if how == "worker":
        worker.kill_group(signal.SIGKILL)
        worker.popen.wait(timeout=30)
    else:
        [child] = worker.children()
        os.kill(child, signal.SIGKILL)


def carry_on(stack: Stack, worker, how: str):
    """The worker that goes on: a new one replacing a killed worker (what compose or systemd
    does), or the same one, which replaces its pool child by itself."""
    return stack.worker("replacement") if how == "worker" else worker


@pytest.mark.parametrize("how", ["worker", "pool child"])
def test_a_full_sync_killed_midway_is_redelivered_and_completed_exactly_once(stack: Stack, how):
    pages = SlowPages()
    with FakeGitHub(token=TOKEN) as github:
        github.add_issues(REPO, ISSUES)
        github.between_pages = pages
        source = TrackerSource.objects.create(
            name="bootc", kind="github", base_url=github.url, project=REPO, token_env="CRASH_TOKEN"
        )
        stack.env["CRASH_TOKEN"] = TOKEN
        worker = stack.worker()

        tracker_tasks.sync_source.delay(source.pk, full=True, trigger="test")
        stack.wait(pages.second_page.is_set, "the sync midway", worker)
        kill(worker, how)
        pages.slow.set()
        assert TrackedIssue.objects.filter(source=source).count() < ISSUES
        assert SyncRun.objects.get(source=source).status == RunStatus.RUNNING
        survivor = carry_on(stack, worker, how)

        stack.wait(
            lambda: SyncRun.objects.filter(source=source, status=RunStatus.OK).exists(),
            "the redelivered sync completed",
            survivor,
            timeout=240,
        )

    runs = list(SyncRun.objects.filter(source=source).order_by("started_at"))
    assert [(r.kind, r.status) for r in runs] == [
        (RunKind.FULL, RunStatus.INTERRUPTED),
        (RunKind.FULL, RunStatus.OK),
    ]
    assert "worker stopped before the run finished" in runs[0].error
    issues = TrackedIssue.objects.filter(source=source)
    assert issues.count() == ISSUES
    duplicates = issues.values("project", "number").annotate(n=Count("id")).filter(n__gt=1)
    assert not duplicates.exists()


def write_image_file(path: Path, registry: str, repository: str) -> Path:
    tags = ", ".join(f'"{tag}"' for tag in TAGS)
    path.write_text(
        f"""
[initiative]
name = "Fedora Image Mode"

[[releases]]
key = "f45"
name = "Fedora 45"
final_target = 2026-10-20

[[images]]
key = "fedora-bootc"
name = "Fedora bootc base image"
registry = "{registry}"
insecure = true
repository = "{repository}"
tags = [{tags}]
arches = ["amd64", "arm64"]
max_age_hours = 48
"""
    )
    return path


@pytest.mark.parametrize("how", ["worker", "pool child"])
def test_a_poll_of_many_tags_killed_midway_is_redelivered_and_completed_exactly_once(
    stack: Stack, registry, pusher, tmp_path: Path, how
):
    repository = f"crash/bootc-{how.replace(' ', '-')}"
    built = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    index = pusher.push_multiarch(
        repository, TAGS[0], architectures=("amd64", "arm64"), created=built
    )
    for tag in TAGS[1:]:
        pusher.tag(repository, tag, index)
    host, port = registry.host.split(":")
    # A slow line to the registry, so the poll is still reading when the worker dies.
    with TcpProxy(host, int(port), delay=0.1) as slow:
        stack.manage(
            "load_initiative",
            str(write_image_file(tmp_path / "i.toml", f"127.0.0.1:{slow.port}", repository)),
        )
        worker = stack.worker()
        image_id = TagState.objects.values_list("image_id", flat=True).first()
        health_tasks.poll_image.delay(image_id)
        stack.wait(lambda: slow.chunks_back >= 6, "the poll midway", worker)
        kill(worker, how)
        sampled_before = set(Sample.objects.values_list("tag__tag", flat=True))
        assert len(sampled_before) < len(TAGS)
        slow.delay = 0
        survivor = carry_on(stack, worker, how)

        stack.wait(
            lambda: set(TagState.objects.values_list("state", flat=True)) == {HealthState.HEALTHY},
            "every tag polled by the redelivered poll",
            survivor,
            timeout=240,
        )

    samples = Counter(Sample.objects.values_list("tag__tag", flat=True))
    assert set(samples) == set(TAGS)
    # A tag the dead poll had sampled was sampled again by the redelivered one: two polls, two
    # observations. Every other tag once.
    assert samples == Counter({tag: 2 if tag in sampled_before else 1 for tag in TAGS})
    # The facts a poll records once per tag are recorded once, however often it ran.
    assert Counter(DigestRecord.objects.values_list("tag__tag", flat=True)) == Counter(TAGS)
    assert Counter(StateChange.objects.values_list("tag__tag", flat=True)) == Counter(TAGS)
