"""The running system: web, worker and beat as processes keep the dashboard current by themselves.

Nothing here calls a task function: beat sends every entry through the real broker (Redis on
127.0.0.1) to a real worker, against local fake GitLab, GitHub and Forgejo servers, the real
Debian registry and a local Matrix homeserver.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from django.contrib.auth.models import User
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from fedimage.accounts.services import api_token_create
from fedimage.core.models import TaskCounter
from fedimage.health.models import HealthState, TagState
from fedimage.initiative.models import Blocker
from fedimage.meetings.models import ActionItem, Meeting
from fedimage.notifications.models import (
    Channel,
    Event,
    EventKind,
    Notification,
    NotificationStatus,
    Subscription,
)
from tests.notifications.matrix_server import MatrixHomeserver, Scripted
from tests.system.conftest import ROOM_ID
from tests.system.stack import Stack
from tests.trackers.fakes import FakeForgejo, FakeGitHub, FakeGitLab
from trackers.models import RunStatus, SyncRun, TrackedIssue, TrackerSource

TOKENS = {
    "SYSTEM_GITLAB_TOKEN": "glpat-system-test-0001",
    "SYSTEM_GITHUB_TOKEN": "ghp_systemtest0001",
    "SYSTEM_FORGEJO_TOKEN": "forgejo-system-test-0001",
}
IMAGE_REPO = "system/fedora-bootc"


def write_initiative(path: Path, *, registry: str, gitlab: str, github: str, forgejo: str) -> Path:
    path.write_text(
        f"""
[initiative]
name = "Fedora Image Mode"

[[releases]]
key = "f45"
name = "Fedora 45"
final_target = 2026-10-20

[[subprojects]]
key = "base-images"
name = "Base images"
kind = "base"

[[images]]
key = "fedora-bootc"
name = "Fedora bootc base image"
registry = "{registry}"
insecure = true
repository = "{IMAGE_REPO}"
tags = ["44", "45", "rawhide"]
arches = ["amd64", "arm64"]
max_age_hours = 48
subproject = "base-images"

[[trackers]]
name = "tracker"
kind = "gitlab"
base_url = "{gitlab}"
project = "fedora/bootc/tracker"
token_env = "SYSTEM_GITLAB_TOKEN"

[[trackers]]
name = "bootc"
kind = "github"
base_url = "{github}"
project = "bootc-dev/bootc"
token_env = "SYSTEM_GITHUB_TOKEN"

[[trackers]]
name = "desktops"
kind = "forgejo"
base_url = "{forgejo}"
project = "atomic-desktops/tracker"
token_env = "SYSTEM_FORGEJO_TOKEN"
"""
    )
    return path


def synced(source_name: str, expected: int) -> bool:
    source = TrackerSource.objects.get(name=source_name)
    ok = SyncRun.objects.filter(source=source, status=RunStatus.OK).exists()
    return ok and TrackedIssue.objects.filter(source=source).count() == expected


def tag_states() -> dict[str, str]:
    return dict(TagState.objects.values_list("tag", "state"))


def room_bodies(homeserver: MatrixHomeserver) -> list[str]:
    return [message.get("body", "") for message in homeserver.messages.get(ROOM_ID, [])]


def test_the_dashboard_fills_itself_and_stays_current(
    stack: Stack, registry, pusher, homeserver: MatrixHomeserver, tmp_path: Path
):
    built = (timezone.now() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for tag in ("44", "45"):
        pusher.push_multiarch(IMAGE_REPO, tag, architectures=("amd64", "arm64"), created=built)
    with (
        FakeGitLab(token=TOKENS["SYSTEM_GITLAB_TOKEN"]) as gitlab,
        FakeGitHub(token=TOKENS["SYSTEM_GITHUB_TOKEN"]) as github,
        FakeForgejo(token=TOKENS["SYSTEM_FORGEJO_TOKEN"]) as forgejo,
    ):
        gitlab.add_issues("fedora/bootc/tracker", 3)
        github.add_issues("bootc-dev/bootc", 4)
        forgejo.add_issues("atomic-desktops/tracker", 2)
        stack.env.update(TOKENS)
        stack.manage(
            "load_initiative",
            str(
                write_initiative(
                    tmp_path / "initiative.toml",
                    registry=registry.host,
                    gitlab=gitlab.url,
                    github=github.url,
                    forgejo=forgejo.url,
                )
            ),
        )

        # What beat's sweeps must find: an action item due today, and a notification whose
        # delivery task was lost (pending, untouched for longer than the redelivery delay).
        member = User.objects.create_user("stakeholder")
        _, api_token = api_token_create(user=member, name="system test")
        Subscription.objects.create(
            kind=EventKind.ACTION_ITEM_DUE, channel=Channel.MATRIX, room=ROOM_ID
        )
        critical = Subscription.objects.create(
            kind=EventKind.BLOCKER_CRITICAL, channel=Channel.MATRIX, room=ROOM_ID
        )
        meeting = Meeting.objects.create(starts_at=timezone.now() - timedelta(days=6))
        ActionItem.objects.create(
            meeting=meeting,
            owner=member,
            text="send the compose file review",
            due_date=timezone.localdate(),
        )
        long_ago = timezone.now() - timedelta(hours=1)
        lost = Notification.objects.create(
            event=Event.objects.create(
                kind=EventKind.BLOCKER_CRITICAL,
                subject="Critical blocker filed: a delivery whose task was lost",
                created_at=long_ago,
            ),
            subscription=critical,
            created_at=long_ago,
        )

        web = stack.web()
        worker = stack.worker(concurrency=2)
        beat = stack.beat()
        watched = (web, worker, beat)

        # Filled by itself: every source synced, every tag polled, the sweeps ran.
        stack.wait(lambda: synced("tracker", 3), "the GitLab source synced", *watched)
        stack.wait(lambda: synced("bootc", 4), "the GitHub source synced", *watched)
        stack.wait(lambda: synced("desktops", 2), "the Forgejo source synced", *watched)
        stack.wait(
            lambda: (
                tag_states()
                == {"44": HealthState.HEALTHY, "45": HealthState.HEALTHY, "rawhide": "missing"}
            ),
            "every tag polled",
            *watched,
        )
        stack.wait(
            lambda: any("Action item due today" in b for b in room_bodies(homeserver)),
            "the action item's due reminder in the room",
            *watched,
        )
        stack.wait(
            lambda: Notification.objects.get(pk=lost.pk).status == NotificationStatus.SENT,
            "the lost notification redelivered",
            *watched,
        )

        # A request queues through the outbox; the homeserver first refuses with 429 and a
        # Retry-After the retry honours.
        homeserver.script.append(
            Scripted(
                429, {"errcode": "M_LIMIT_EXCEEDED", "retry_after_ms": 1000}, {"Retry-After": "1"}
            )
        )
        filed = stack.request(
            "/api/blockers/",
            method="POST",
            data={"title": "Upgrades loop forever", "severity": "critical", "category": "konflux"},
            token=api_token,
        )
        assert filed.status == 201, filed.text()
        blocker = Blocker.objects.get(title="Upgrades loop forever")
        stack.wait(
            lambda: Notification.objects.filter(
                event__subject__contains=f"#{blocker.pk} ", status=NotificationStatus.SENT
            ).exists(),
            "the new blocker's notification delivered after a 429",
            *watched,
        )
        filed_messages = [b for b in room_bodies(homeserver) if f"#{blocker.pk} Upgrades" in b]
        assert len(filed_messages) == 1

        # Kept current: a new upstream issue appears at the next interval, with no one asking.
        github.add_issue("bootc-dev/bootc", title="Found after the first sync")
        stack.wait(
            lambda: TrackedIssue.objects.filter(title="Found after the first sync").exists(),
            "the next sync",
            *watched,
        )

        # The pages show it, and the readiness probe is green.
        trackers_page = stack.get("/trackers/")
        assert trackers_page.status == 200
        assert all(name in trackers_page.text() for name in ("tracker", "bootc", "desktops"))
        health_page = stack.get("/health/")
        assert health_page.status == 200
        assert "Fedora bootc base image" in health_page.text()
        assert stack.get("/readyz").status == 200

        # Every entry beat sent was consumed: its task's runs are counted (by the worker, in
        # the database) and shown on /metrics, with each source's sync lag.
        sent = set(re.findall(r"Sending due task \S+ \(([\w.]+)\)", beat.log()))
        assert {"trackers.sync_all", "health.poll_all", "core.relay_outbox"} <= sent
        stack.wait(
            lambda: (
                sent <= set(TaskCounter.objects.filter(runs__gt=0).values_list("task", flat=True))
            ),
            "every task beat sent run by the worker",
            *watched,
        )
        metrics = stack.get("/metrics")
        assert metrics.status == 200
        samples = {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(metrics.text())
            for sample in family.samples
        }
        for source in ("tracker", "bootc", "desktops"):
            assert samples[("fedimage_tracker_sync_lag_seconds", (("source", source),))] < 60
        assert samples[("fedimage_task_runs_total", (("task", "trackers.sync_source"),))] >= 3
        # Summed over gunicorn's two worker processes (prometheus-client's multiprocess mode).
        pages = (("method", "GET"), ("status", "200"), ("view", "healthz"))
        assert samples[("fedimage_http_requests_total", pages)] >= 1

    for process in (worker, beat):
        assert process.error_lines() == [], process.log()[-6000:]
    # One line per run with its outcome; none per HTTP request.
    log = worker.log()
    assert re.search(r"trackers: tracker: \w+ sync ok in [\d.]+s: 3 created", log), log[-6000:]
    assert re.search(r"health: fedora-bootc: poll done in [\d.]+s: 3 tags", log), log[-6000:]
    assert "HTTP Request:" not in log
    assert "Sending due task trackers-sync-all" in beat.log()
