"""Recording a poll: history written once per change, one bad tag never stops the rest."""

from __future__ import annotations

from datetime import datetime, timedelta
from unittest.mock import patch

import pytest
from django.db import DataError

from fedimage.health.clients.oci import OCI_MANIFEST
from fedimage.health.models import DigestRecord, HealthState, StateChange
from fedimage.health.services import image_poll, recording
from tests.health.factories import tag_state, watch
from tests.health.oci import (
    TWO_ARCHES,
    OciPusher,
    canonical_json,
    iso,
    sha256_digest,
    stub_single_arch,
)
from tests.health.registry_server import RegistryServer, StubResponse, StubServer

pytestmark = pytest.mark.django_db


def test_state_changes_are_recorded_once_per_change(
    registry: RegistryServer, pusher: OciPusher, repo: str, now: datetime
) -> None:
    pushed = pusher.push_multiarch(repo, "44", architectures=TWO_ARCHES, created=iso(now))
    image = watch(registry, repo)
    image_poll(image=image, now=now)
    pusher.delete_manifest(repo, pushed.digest)

    for minutes in (5, 10, 15):
        image_poll(image=image, now=now + timedelta(minutes=minutes))

    changes = list(
        StateChange.objects.filter(tag__image=image)
        .order_by("at")
        .values_list("old_state", "new_state")
    )
    assert changes == [
        (HealthState.PENDING, HealthState.HEALTHY),
        (HealthState.HEALTHY, HealthState.MISSING),
    ]
    assert tag_state(image).state_since == now + timedelta(minutes=5)


def test_unexpected_error_on_one_tag_makes_it_garbage_and_the_others_are_still_polled(
    stub_server: StubServer, now: datetime, caplog: pytest.LogCaptureFixture
) -> None:
    stub_single_arch(stub_server, "r", "bad", now)
    stub_single_arch(stub_server, "r", "good", now)
    image = watch(stub_server, "r", tags=["bad", "good"], expected_arches=["amd64"])
    real_record = recording._record_digest

    def fails_for_bad(state, *args, **kwargs):
        if state.tag == "bad":
            raise DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
        return real_record(state, *args, **kwargs)

    with patch.object(recording, "_record_digest", fails_for_bad):
        report = image_poll(image=image, now=now)

    bad, good = tag_state(image, "bad"), tag_state(image, "good")
    assert [o.tag for o in report.outcomes] == ["bad", "good"]
    assert bad.state == HealthState.GARBAGE
    assert "DataError" in bad.reason
    assert good.state == HealthState.HEALTHY
    assert "r:bad: poll failed" in caplog.text


def test_nul_in_labels_and_annotations_is_dropped_and_the_tag_is_recorded(
    stub_server: StubServer, now: datetime
) -> None:
    """PostgreSQL refuses NUL in text and jsonb; a registry may still send one."""
    config = canonical_json(
        {
            "architecture": "amd64",
            "os": "linux\x00",
            "created": iso(now),
            "config": {"Labels": {"org.opencontainers.image.version": "44\x00.1"}},
        }
    )
    config_digest = sha256_digest(config)
    manifest = canonical_json(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": config_digest,
                "size": len(config),
            },
            "layers": [],
            "annotations": {"org.opencontainers.image.base.name": "quay.io/fedora\x00/base"},
        }
    )
    headers = {"Content-Type": OCI_MANIFEST, "Docker-Content-Digest": sha256_digest(manifest)}
    stub_server.route("*", "/v2/r/manifests/44", StubResponse(200, headers, manifest))
    stub_server.route("*", f"/v2/r/blobs/{config_digest}", StubResponse(200, {}, config))
    image = watch(stub_server, "r", expected_arches=["amd64"])

    image_poll(image=image, now=now)

    state = tag_state(image)
    assert state.state == HealthState.HEALTHY
    assert state.version == "44.1"
    details = DigestRecord.objects.get(tag=state).details["amd64"]
    assert (details["os"], details["base_name"]) == ("linux", "quay.io/fedora/base")
