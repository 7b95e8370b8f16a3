"""trackers.sync_source through the real Redis broker and real workers, against a fake GitHub:
a sync end to end, and a worker process killed mid-listing whose replacement resumes it."""

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count

from tests.trackers.conftest import GITHUB_TOKEN
from tests.trackers.fakes import FakeGitHub
from tests.worker import purge_broker, redis_worker, wait_for
from trackers import tasks
from trackers.models import RunStatus, SyncRun, TrackedIssue, TrackerSource

REPO = "bootc-dev/bootc"
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_redis_syncs_a_source(make_source, fake_github):
    fake_github.add_issues(REPO, 4)
    source = make_source(fake_github, REPO)

    with redis_worker():
        tasks.sync_source.delay(source.pk, trigger="test")
        finished = wait_for(
            lambda: SyncRun.objects.filter(source=source).exclude(status=RunStatus.RUNNING).exists()
        )

    assert finished
    run = SyncRun.objects.get(source=source)
    assert (run.status, run.trigger, run.created) == (RunStatus.OK, "test", 4)
    assert TrackedIssue.objects.filter(source=source).count() == 4


class Worker:
    """`celery worker` as its own OS process (and process group), on this test's database."""

    def __init__(self, name: str, log: Path) -> None:
        db = connection.settings_dict
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "REDIS_URL": settings.REDIS_URL,
            "TEST_GITHUB_TOKEN": GITHUB_TOKEN,
            # Seconds, not minutes: a killed worker's message and lock come back quickly.
            "CELERY_VISIBILITY_TIMEOUT_SECONDS": "4",
            "LOCK_TTL_SECONDS": "3",
        }
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        self.log = log
        with log.open("ab") as out:
            self.popen = subprocess.Popen(
                [
                    sys.executable, "-m", "celery", "-A", "fedimage", "worker",
                    "--pool", "solo", "--queues", "trackers", "--loglevel", "INFO",
                    "--hostname", f"{name}@%h",
                    "--without-gossip", "--without-mingle", "--without-heartbeat",
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        assert wait_for(lambda: " ready." in log.read_text(), timeout=60), log.read_text()

    def kill(self) -> None:
        os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=30)

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_listing_is_replaced_and_the_listing_resumes_where_it_stopped(
    tmp_path,
):
    """500 issues, five pages. The worker process is SIGKILLed while GitHub answers page 3:
    pages 1 and 2 are stored with the position after them. The broker gives the task to the
    replacement worker, which closes the dead run as interrupted and goes on at page 3."""
    purge_broker()
    killed = threading.Event()
    workers: list[Worker] = []

    def kill_on_third_page(answered: int) -> None:
        if answered == 3 and not killed.is_set():
            workers[0].kill()
            killed.set()

    with FakeGitHub(token=GITHUB_TOKEN) as fake:
        fake.add_issues(REPO, 500)
        source = TrackerSource.objects.create(
            name="bootc", kind="github", base_url=fake.url, project=REPO,
            token_env="TEST_GITHUB_TOKEN",
        )  # fmt: skip
        fake.between_pages = kill_on_third_page
        try:
            workers.append(Worker("first", tmp_path / "first.log"))
            tasks.sync_source.delay(source.pk, trigger="test")
            assert wait_for(killed.is_set, timeout=60), (tmp_path / "first.log").read_text()
            stranded = SyncRun.objects.get(source=source)
            stored = TrackedIssue.objects.filter(source=source).count()
            source.refresh_from_db()
            position = dict(source.listing)
            requests_before = len(fake.requests)

            workers.append(Worker("replacement", tmp_path / "replacement.log"))
            done = wait_for(
                lambda: SyncRun.objects.filter(source=source, status=RunStatus.OK).exists(),
                timeout=120,
            )
        finally:
            for worker in workers:
                worker.stop()
        assert done, (tmp_path / "replacement.log").read_text()
        after_kill = fake.requests[requests_before:]

    assert stranded.status == RunStatus.RUNNING
    assert 100 < stored < 500
    assert position["page"] == 2
    runs = list(SyncRun.objects.filter(source=source).order_by("started_at"))
    assert [r.status for r in runs] == [RunStatus.INTERRUPTED, RunStatus.OK]
    assert "worker stopped before the run finished" in runs[0].error
    assert runs[1].resumed_after_page == 2
    assert runs[1].created == 500 - stored
    # The replacement went on from the newest time page 2 held, never from page 1.
    listings = [r for r in after_kill if r.path == f"/repos/{REPO}/issues"]
    assert all(r.param("since") is not None for r in listings)
    issues = TrackedIssue.objects.filter(source=source)
    assert issues.count() == 500
    assert not issues.values("number").annotate(n=Count("id")).filter(n__gt=1).exists()
