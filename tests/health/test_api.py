"""The read-only health API through the HTTP client."""

from __future__ import annotations

import pytest

from fedimage.health.models import HealthState
from tests.health.factories import WatchedImageFactory, observed

pytestmark = pytest.mark.django_db


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
    assert "details" not in digests["results"][0]
    assert client.post("/api/health/tags/", {}).status_code in (401, 403, 405)
