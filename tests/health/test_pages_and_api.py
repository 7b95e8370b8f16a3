"""The health grid, the image page, the partial and the API, through the HTTP client."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fedimage.health import selectors
from fedimage.health.models import DigestRecord, HealthState, Sample, StateChange, TagState
from tests.health.factories import SubprojectFactory, WatchedImageFactory

pytestmark = pytest.mark.django_db


def observed(image, tag: str = "44", *, state: str = HealthState.HEALTHY, builds: int = 3):
    """Give a tag the history polls would have written: digests, samples, a state change."""
    now = timezone.now()
    ts = TagState.objects.get(image=image, tag=tag)
    for i in range(builds):
        DigestRecord.objects.create(
            tag=ts,
            digest=f"sha256:{i:064x}",
            media_type="application/vnd.oci.image.index.v1+json",
            first_seen=now - timedelta(days=builds - i),
            built_at=now - timedelta(days=builds - i, hours=1),
            version=f"44.2026112{i}.0",
            arches=["amd64"],
        )
    Sample.objects.bulk_create(
        Sample(tag=ts, at=now - timedelta(minutes=10 * i), state=state) for i in range(30)
    )
    StateChange.objects.create(
        tag=ts, old_state=HealthState.PENDING, new_state=state, reason="seen in a test"
    )
    ts.state, ts.reason = state, "no arm64 build (has amd64); built 1 days ago"
    ts.digest, ts.arches = f"sha256:{builds - 1:064x}", ["amd64"]
    ts.built_at = now - timedelta(days=1, hours=1)
    ts.save()
    return ts


def test_grid_shows_each_tag_and_architecture_in_words_with_history_and_cadence(client) -> None:
    image = WatchedImageFactory(name="Fedora bootc", expected_arches=["amd64", "arm64"])
    observed(image, state=HealthState.DEGRADED)

    response = client.get("/health/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Fedora bootc" in page
    assert "Degraded" in page
    assert "no arm64 build (has amd64)" in page
    assert '<td class="cell reached" data-label="amd64">Built</td>' in page
    assert '<td class="cell overdue" data-label="arm64">Missing</td>' in page
    assert "about every 24 hours" in page
    assert "25 hours ago" in page
    assert page.count('title="') >= 24  # the history strip: one mark per recent check
    assert "style=" not in page


@pytest.mark.parametrize(
    "state", [HealthState.MISSING, HealthState.UNREACHABLE, HealthState.GARBAGE]
)
def test_architectures_of_a_tag_not_read_now_are_unknown_not_built(client, state) -> None:
    """A missing (or unreadable) tag keeps its last digest and arches; they say nothing now."""
    image = WatchedImageFactory(expected_arches=["amd64", "arm64"])
    observed(image, state=state)

    page = client.get("/health/").content.decode()

    assert '<td class="cell later" data-label="amd64">Unknown</td>' in page
    assert '<td class="cell later" data-label="arm64">Unknown</td>' in page
    assert ">Built<" not in page
    assert ">Missing</td>" not in page


def test_grid_query_count_stays_constant_as_images_grow(client) -> None:
    def add_images(n: int) -> None:
        for _ in range(n):
            image = WatchedImageFactory(tags=["44", "45"], subproject=SubprojectFactory())
            observed(image, "44")
            observed(image, "45", state=HealthState.STALE)

    add_images(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/health/").status_code == 200
    add_images(6)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/health/")

    assert response.content.decode().count('<tr id="tag-') == 16
    assert len(many) == len(few) <= 6


def test_image_page_lists_digests_over_time_and_state_changes(client) -> None:
    image = WatchedImageFactory(key="fedora-bootc", name="Fedora bootc")
    observed(image, builds=4)

    response = client.get("/health/images/fedora-bootc/")

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("44.2026112") == 4  # one row per digest
    assert "seen in a test" in page
    assert client.get("/health/images/nope/").status_code == 404


def test_summary_partial_renders_for_a_subproject_with_its_evidence() -> None:
    subproject = SubprojectFactory(name="CoreOS")
    image = WatchedImageFactory(name="Fedora CoreOS", subproject=subproject, tags=["stable"])
    observed(image, "stable", state=HealthState.STALE)

    html = render_to_string(
        "health/_summary.html",
        {
            "health_rows": selectors.health_grid(subproject=subproject),
            "health_evidence": selectors.base_evidence_by_subproject().get(subproject.pk),
        },
    )

    assert "Fedora CoreOS" in html
    assert "stable" in html
    assert "Stale" in html


def test_api_lists_watched_images_with_the_health_of_their_tags(client) -> None:
    image = WatchedImageFactory(key="fedora-iot", tags=["44", "45"])
    observed(image, "44", state=HealthState.DEGRADED)

    body = client.get("/api/health/images/fedora-iot/").json()

    assert body["key"] == "fedora-iot"
    assert [t["tag"] for t in body["tag_states"]] == ["44", "45"]
    assert body["tag_states"][0]["state"] == "degraded"
    assert body["tag_states"][0]["reason"].startswith("no arm64 build")
    assert body["tag_states"][1]["state_label"] == "Not checked yet"


def test_api_filters_tags_by_state_and_lists_an_images_digests(client) -> None:
    image = WatchedImageFactory(key="fedora-iot", tags=["44", "45"])
    observed(image, "44", state=HealthState.STALE, builds=2)

    stale = client.get("/api/health/tags/", {"state": "stale"}).json()
    digests = client.get("/api/health/images/fedora-iot/digests/").json()

    assert [t["reference"] for t in stale["results"]] == [f"{image.reference}:44"]
    assert digests["count"] == 2
    assert client.post("/api/health/tags/", {}).status_code in (401, 403, 405)
