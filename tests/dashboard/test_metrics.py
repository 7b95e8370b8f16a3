"""/metrics: the Prometheus text format, from the database and the web process, for allowed
networks or a bearer token only."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from fedimage.celery import app
from fedimage.health.models import PollRun, PollStatus, PollTrigger
from fedimage.initiative.models import Severity
from tests.health.factories import WatchedImageFactory
from tests.initiative.factories import BlockerFactory
from trackers.models import TrackerKind, TrackerSource

pytestmark = pytest.mark.django_db


@app.task(name="tests.dashboard.succeeds")
def succeeds() -> str:
    return "ok"


@app.task(name="tests.dashboard.fails")
def fails() -> None:
    raise RuntimeError("the tracker said no")


def scrape(client: Client, **extra) -> dict[str, dict[tuple, float]]:
    """{metric sample name: {labels as sorted pairs: value}}, parsed as Prometheus would."""
    response = client.get("/metrics", **extra)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            labels = tuple(sorted(sample.labels.items()))
            samples.setdefault(sample.name, {})[labels] = sample.value
    return samples


def test_metrics_report_lags_blockers_task_runs_and_requests(client: Client):
    now = timezone.now()
    TrackerSource.objects.create(
        name="tracker",
        kind=TrackerKind.GITLAB,
        base_url="https://gitlab.example",
        project="fedora/bootc/tracker",
        last_success_at=now - timedelta(minutes=10),
    )
    TrackerSource.objects.create(
        name="never", kind=TrackerKind.GITHUB, base_url="https://gh.example", project="o/n"
    )
    image = WatchedImageFactory(key="fedora-bootc")
    PollRun.objects.create(
        image=image,
        batch=uuid4(),
        trigger=PollTrigger.SCHEDULE,
        status=PollStatus.DONE,
        finished_at=now - timedelta(minutes=3),
    )
    PollRun.objects.create(
        image=image,
        batch=uuid4(),
        trigger=PollTrigger.SCHEDULE,
        status=PollStatus.FAILED,
        finished_at=now,
    )
    BlockerFactory.create_batch(2, severity=Severity.CRITICAL)
    BlockerFactory(severity=Severity.MINOR)
    BlockerFactory(severity=Severity.MINOR, status="resolved")
    succeeds.apply()
    succeeds.apply()
    fails.apply()
    client.get("/healthz")

    samples = scrape(client)

    sync = samples["fedimage_tracker_sync_lag_seconds"]
    assert 600 <= sync[(("source", "tracker"),)] < 660
    assert sync[(("source", "never"),)] == float("inf")
    poll = samples["fedimage_image_poll_lag_seconds"]
    assert 180 <= poll[(("image", "fedora-bootc"),)] < 240  # the failed run does not count
    assert samples["fedimage_outbox_pending"] == {(): 0}
    tags = samples["fedimage_image_tags"]
    assert tags[(("state", "pending"),)] == 1  # the factory image's one tag, not polled yet
    assert tags[(("state", "unreachable"),)] == 0
    assert samples["fedimage_open_blockers"] == {
        (("severity", "critical"),): 2,
        (("severity", "major"),): 0,
        (("severity", "minor"),): 1,
    }
    assert samples["fedimage_task_runs_total"][(("task", "tests.dashboard.succeeds"),)] == 2
    assert samples["fedimage_task_runs_total"][(("task", "tests.dashboard.fails"),)] == 1
    assert samples["fedimage_task_failures_total"][(("task", "tests.dashboard.fails"),)] == 1
    assert samples["fedimage_task_failures_total"][(("task", "tests.dashboard.succeeds"),)] == 0
    healthz = (("method", "GET"), ("status", "200"), ("view", "healthz"))
    assert samples["fedimage_http_requests_total"][healthz] >= 1
    assert any(
        dict(labels).get("view") == "healthz"
        for labels in samples["fedimage_http_request_duration_seconds_count"]
    )


def test_metrics_are_hidden_from_other_networks_unless_the_token_is_given(client, settings):
    settings.METRICS_TOKEN = "s3cret-metrics-token"
    outside = {"REMOTE_ADDR": "203.0.113.7"}

    assert client.get("/metrics", **outside).status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong", **outside).status_code == 404
    assert "fedimage_open_blockers" in scrape(
        client, HTTP_AUTHORIZATION="Bearer s3cret-metrics-token", **outside
    )
    # From an allowed network, no token is needed; a wrong one is still refused.
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404


def test_the_allowed_networks_are_configurable(client, settings):
    import ipaddress

    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200


def test_a_page_from_the_cache_is_counted_under_its_view(client: Client, initiative):
    for _ in range(3):
        assert client.get("/blockers/").status_code == 200  # the second and third: cache hits
    before = scrape(client)["fedimage_http_requests_total"]
    with CaptureQueriesContext(connection) as queries:
        client.get("/blockers/")
    assert not queries.captured_queries  # from the cache indeed
    after = scrape(client)["fedimage_http_requests_total"]
    labels = (("method", "GET"), ("status", "200"), ("view", "dashboard:blocker-list"))
    assert after[labels] == before[labels] + 1
