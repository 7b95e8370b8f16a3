"""image_poll against a real distribution registry: states, reasons, history, evidence, blockers."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from unittest.mock import patch

import pytest
from django.db import DataError
from django.utils import timezone

from fedimage.health.clients.oci import OCI_INDEX, OCI_MANIFEST
from fedimage.health.clients.registry import RegistryClient
from fedimage.health.models import (
    BaseEvidence,
    DigestRecord,
    HealthState,
    Sample,
    StateChange,
    TagState,
)
from fedimage.health.services import (
    SYSTEM_USERNAME,
    digests_thin,
    image_poll,
    recording,
    samples_thin,
)
from fedimage.health.tasks import thin_samples
from fedimage.initiative.models import BlockerStatus
from tests.health.factories import MilestoneFactory, SubprojectFactory, WatchedImageFactory
from tests.health.oci import OciPusher, canonical_json, sha256_digest
from tests.health.registry_server import RegistryServer, StubResponse, StubServer

pytestmark = pytest.mark.django_db

TWO_ARCHES = ("amd64", "arm64")


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.fixture
def now() -> datetime:
    return timezone.now()


def watch(server: RegistryServer | StubServer, repo: str, **kwargs):
    return WatchedImageFactory(registry=server.host, repository=repo, **kwargs)


def tag_state(image, tag: str = "44") -> TagState:
    return TagState.objects.get(image=image, tag=tag)


# States and their reasons


def test_fresh_multiarch_index_is_healthy_with_its_build_facts(
    registry: RegistryServer, pusher: OciPusher, repo: str, now: datetime
) -> None:
    pushed = pusher.push_multiarch(
        repo, "44", architectures=TWO_ARCHES, created=iso(now - timedelta(hours=3))
    )
    image = watch(registry, repo)

    report = image_poll(image=image, now=now)

    state = tag_state(image)
    assert report.outcomes[0].state == HealthState.HEALTHY
    assert state.state == HealthState.HEALTHY
    assert state.reason == "built 3 hours ago, all 2 expected architectures"
    assert state.digest == pushed.digest
    assert state.arches == ["amd64", "arm64"]
    assert state.version == "44.20260501.0"
    assert state.signed is False
    assert DigestRecord.objects.filter(tag=state).count() == 1


def test_unchanged_tag_costs_one_head_request_and_no_new_digest(
    registry: RegistryServer, pusher: OciPusher, repo: str, now: datetime
) -> None:
    pusher.push_multiarch(repo, "44", architectures=TWO_ARCHES, created=iso(now))
    image = watch(registry, repo)
    image_poll(image=image, now=now)

    report = image_poll(image=image, now=now + timedelta(minutes=5))

    assert report.requests == 1
    assert report.outcomes[0].new_digest is False
    assert DigestRecord.objects.filter(tag__image=image).count() == 1
    assert Sample.objects.filter(tag__image=image).count() == 2


def test_tag_older_than_its_objective_is_stale(
    registry: RegistryServer, pusher: OciPusher, repo: str, now: datetime
) -> None:
    pusher.push_multiarch(
        repo, "44", architectures=TWO_ARCHES, created=iso(now - timedelta(days=5))
    )
    image = watch(registry, repo, max_age_hours=48)

    image_poll(image=image, now=now)

    state = tag_state(image)
    assert state.state == HealthState.STALE
    assert state.reason == "built 5 days ago, objective 2 days"


def test_one_stale_architecture_makes_the_tag_stale_and_is_named(
    registry: RegistryServer, pusher: OciPusher, repo: str, now: datetime
) -> None:
    fresh = pusher.push_image(repo, architecture="amd64", created=iso(now - timedelta(hours=1)))
    old = pusher.push_image(
        repo, architecture="arm64", variant="v8", created=iso(now - timedelta(days=30))
    )
    pusher.push_index(repo, "44", [fresh, old])
    image = watch(registry, repo, max_age_hours=48)

    image_poll(image=image, now=now)
    image_poll(image=image, now=now + timedelta(minutes=5))  # judged again without a new digest

    state = tag_state(image)
    assert state.state == HealthState.STALE
    assert state.reason == "arm64 built 30 days ago, objective 2 days"


def test_tag_becomes_stale_as_time_passes_without_a_rebuild(
    registry: RegistryServer, pusher: OciPusher, repo: str, now: datetime
) -> None:
    pusher.push_multiarch(repo, "44", architectures=TWO_ARCHES, created=iso(now))
    image = watch(registry, repo, max_age_hours=24)
    image_poll(image=image, now=now)

    report = image_poll(image=image, now=now + timedelta(hours=30))

    assert report.requests == 1
    assert tag_state(image).state == HealthState.STALE
    change = StateChange.objects.get(tag__image=image, new_state=HealthState.STALE)
    assert change.old_state == HealthState.HEALTHY


def test_missing_architecture_is_degraded_and_named(
    registry: RegistryServer, pusher: OciPusher, repo: str, now: datetime
) -> None:
    pusher.push_multiarch(repo, "44", architectures=("amd64",), created=iso(now))
    image = watch(registry, repo, expected_arches=["amd64", "arm64", "s390x"])

    image_poll(image=image, now=now)

    state = tag_state(image)
    assert state.state == HealthState.DEGRADED
    assert state.reason.startswith("no arm64, s390x build (has amd64)")


def test_unsigned_tag_is_degraded_until_its_late_signature_is_found_on_the_slower_cadence(
    registry: RegistryServer, pusher: OciPusher, repo: str, now: datetime, settings
) -> None:
    settings.HEALTH_SIGNATURE_RECHECK_SECONDS = 15 * 60
    pushed = pusher.push_multiarch(repo, "44", architectures=TWO_ARCHES, created=iso(now))
    image = watch(registry, repo, signature_expected=True)
    image_poll(image=image, now=now)
    assert tag_state(image).state == HealthState.DEGRADED
    assert "not signed" in tag_state(image).reason

    pusher.push_cosign_signature(repo, pushed.digest)
    # Within the cadence the missing signature is not asked for again: one HEAD.
    early = image_poll(image=image, now=now + timedelta(minutes=14))
    assert early.requests == 1
    assert tag_state(image).state == HealthState.DEGRADED
    late = image_poll(image=image, now=now + timedelta(minutes=15))
    # The HEAD and the signature tag's HEAD: the registry's missing referrers API is known.
    assert late.requests == 2

    state = tag_state(image)
    assert state.state == HealthState.HEALTHY
    assert state.signed is True
    assert state.reason.endswith(", signed")
    assert DigestRecord.objects.get(tag=state).signed is True


def test_signed_tag_is_not_checked_again_while_its_digest_holds(
    registry: RegistryServer, pusher: OciPusher, repo: str, now: datetime
) -> None:
    pushed = pusher.push_multiarch(repo, "44", architectures=TWO_ARCHES, created=iso(now))
    pusher.push_cosign_signature(repo, pushed.digest)
    image = watch(registry, repo, signature_expected=True)
    image_poll(image=image, now=now)

    report = image_poll(image=image, now=now + timedelta(minutes=5))

    assert tag_state(image).state == HealthState.HEALTHY
    assert report.requests == 1


def test_missing_tag_and_missing_repository_are_missing(
    registry: RegistryServer, pusher: OciPusher, repo: str, now: datetime
) -> None:
    pusher.push_multiarch(repo, "44", architectures=TWO_ARCHES, created=iso(now))
    image = watch(registry, repo, tags=["44", "45"])
    nowhere = watch(registry, f"{repo}-nowhere", tags=["44"])

    image_poll(image=image, now=now)
    image_poll(image=nowhere, now=now)

    assert tag_state(image, "44").state == HealthState.HEALTHY
    assert tag_state(image, "45").state == HealthState.MISSING
    assert tag_state(image, "45").reason.startswith(f"{registry.host}/{repo}:45 does not exist")
    assert tag_state(nowhere).state == HealthState.MISSING


def test_docker_manifest_list_and_single_arch_manifest_are_understood(
    registry: RegistryServer, pusher: OciPusher, repo: str, now: datetime
) -> None:
    pusher.push_multiarch(repo, "list", architectures=TWO_ARCHES, docker=True, created=iso(now))
    pusher.push_image(repo, "single", architecture="amd64", created=iso(now))
    image = watch(registry, repo, tags=["list", "single"], expected_arches=["amd64"])

    image_poll(image=image, now=now)

    listed, single = tag_state(image, "list"), tag_state(image, "single")
    assert listed.state == single.state == HealthState.HEALTHY
    assert listed.media_type == "application/vnd.docker.distribution.manifest.list.v2+json"
    assert listed.arches == ["amd64", "arm64"]
    assert single.media_type == OCI_MANIFEST
    assert single.arches == ["amd64"]


def test_rebuilt_tag_records_a_new_digest_and_its_build_time(
    registry: RegistryServer, pusher: OciPusher, repo: str, now: datetime
) -> None:
    first = pusher.push_multiarch(
        repo, "44", architectures=TWO_ARCHES, created=iso(now - timedelta(days=1))
    )
    image = watch(registry, repo)
    image_poll(image=image, now=now)
    second = pusher.push_multiarch(
        repo, "44", architectures=TWO_ARCHES, created=iso(now), version="44.20261125.0"
    )

    report = image_poll(image=image, now=now + timedelta(hours=1))

    state = tag_state(image)
    assert report.outcomes[0].new_digest is True
    assert state.digest == second.digest
    assert state.version == "44.20261125.0"
    assert list(DigestRecord.objects.filter(tag=state).values_list("digest", flat=True)) == [
        second.digest,
        first.digest,
    ]


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


# Registry failures are never healthy and never missing


def test_stopped_registry_is_unreachable_and_keeps_the_last_digest(
    tmp_path: Path, repo: str, now: datetime
) -> None:
    with RegistryServer(tmp_path / "short-lived") as server:
        import httpx

        with httpx.Client(base_url=server.url, timeout=10) as client:
            pushed = OciPusher(client).push_multiarch(
                repo, "44", architectures=TWO_ARCHES, created=iso(now)
            )
        image = watch(server, repo)
        image_poll(image=image, now=now)

    image_poll(image=image, now=now + timedelta(minutes=5))

    state = tag_state(image)
    assert state.state == HealthState.UNREACHABLE
    assert state.reason.startswith(f"{server.host} did not answer")
    assert state.digest == pushed.digest


def _stub_single_arch(stub: StubServer, repo: str, tag: str, created: datetime) -> None:
    config = canonical_json(
        {"architecture": "amd64", "os": "linux", "created": iso(created), "config": {}}
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
        }
    )
    headers = {"Content-Type": OCI_MANIFEST, "Docker-Content-Digest": sha256_digest(manifest)}
    stub.route("*", f"/v2/{repo}/manifests/{tag}", StubResponse(200, headers, manifest))
    stub.route("*", f"/v2/{repo}/blobs/{config_digest}", StubResponse(200, {}, config))


def test_garbage_answer_is_reported_for_its_tag_and_the_others_are_still_polled(
    stub_server: StubServer, now: datetime
) -> None:
    _stub_single_arch(stub_server, "r", "good", now)
    stub_server.route(
        "*", "/v2/r/manifests/html", StubResponse(200, {"Content-Type": "text/html"}, b"<html>")
    )
    bad_body = b'{"schemaVersion": 2, "mediaType": "' + OCI_INDEX.encode() + b'", "manif'
    stub_server.route(
        "*",
        "/v2/r/manifests/broken",
        StubResponse(
            200,
            {"Content-Type": OCI_INDEX, "Docker-Content-Digest": sha256_digest(b"other")},
            bad_body,
        ),
    )
    image = watch(stub_server, "r", tags=["html", "broken", "good"], expected_arches=["amd64"])

    image_poll(image=image, now=now)

    html, broken, good = (tag_state(image, t) for t in ("html", "broken", "good"))
    assert html.state == HealthState.GARBAGE
    assert "text/html" in html.reason
    assert broken.state == HealthState.GARBAGE
    assert "digest mismatch" in broken.reason
    assert broken.digest == ""
    assert good.state == HealthState.HEALTHY


def test_manifest_that_does_not_hash_to_the_digest_the_head_named_is_garbage(
    stub_server: StubServer, now: datetime
) -> None:
    """A new digest is read by digest: the body must hash to the digest the HEAD announced,
    or the registry served other content than it named."""
    _stub_single_arch(stub_server, "r", "44", now)
    route = stub_server.routes[("*", "/v2/r/manifests/44")]
    image = watch(stub_server, "r", expected_arches=["amd64"])
    image_poll(image=image, now=now)
    known = tag_state(image).digest
    announced = sha256_digest(b"something else entirely")
    stub_server.route(
        "*",
        "/v2/r/manifests/44",
        StubResponse(200, {**route.headers, "Docker-Content-Digest": announced}, route.body),
    )
    stub_server.route(
        "*",
        f"/v2/r/manifests/{announced}",
        StubResponse(200, {"Content-Type": OCI_MANIFEST}, route.body),
    )

    image_poll(image=image, now=now + timedelta(minutes=5))

    state = tag_state(image)
    assert state.state == HealthState.GARBAGE
    assert announced in state.reason
    assert state.digest == known
    assert list(DigestRecord.objects.filter(tag=state).values_list("digest", flat=True)) == [known]


def test_unexpected_error_on_one_tag_makes_it_garbage_and_the_others_are_still_polled(
    stub_server: StubServer, now: datetime, caplog: pytest.LogCaptureFixture
) -> None:
    _stub_single_arch(stub_server, "r", "bad", now)
    _stub_single_arch(stub_server, "r", "good", now)
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


def test_garbage_tag_stays_garbage_on_the_next_poll(stub_server: StubServer, now: datetime) -> None:
    body = canonical_json({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": "nope"})
    stub_server.route(
        "*",
        "/v2/r/manifests/44",
        StubResponse(
            200, {"Content-Type": OCI_INDEX, "Docker-Content-Digest": sha256_digest(body)}, body
        ),
    )
    image = watch(stub_server, "r")

    image_poll(image=image, now=now)
    image_poll(image=image, now=now + timedelta(minutes=5))

    assert tag_state(image).state == HealthState.GARBAGE
    assert "no 'manifests' list" in tag_state(image).reason


def test_rate_limit_stops_the_poll_without_marking_tags_unreachable(
    stub_server: StubServer, now: datetime
) -> None:
    stub_server.route("*", "/v2/r/manifests/44", StubResponse(429, {"Retry-After": "9"}))
    image = watch(stub_server, "r", tags=["44", "45"])

    report = image_poll(image=image, now=now)

    assert report.throttled is not None
    assert report.throttled.retry_after == 9
    assert report.outcomes == []
    assert set(TagState.objects.filter(image=image).values_list("state", flat=True)) == {
        HealthState.PENDING
    }


def test_token_auth_registry_is_polled_anonymously(
    token_registry: RegistryServer, token_pusher: OciPusher, repo: str, now: datetime
) -> None:
    token_pusher.push_multiarch(repo, "44", architectures=TWO_ARCHES, created=iso(now))
    image = WatchedImageFactory(registry=token_registry.host, repository=repo, insecure=False)
    with RegistryClient(token_registry.host, insecure=True, timeout=5) as client:
        image_poll(image=image, client=client, now=now)

    assert tag_state(image).state == HealthState.HEALTHY
    assert client.token_request_count == 1


# Base-image evidence


def test_subproject_image_built_on_the_base_shows_the_evidence_and_builds_behind(
    registry: RegistryServer, pusher: OciPusher, repo: str, now: datetime
) -> None:
    base_repo, child_repo = f"{repo}-base", f"{repo}-child"
    base_build = pusher.push_multiarch(base_repo, "44", architectures=TWO_ARCHES, created=iso(now))
    base = watch(registry, base_repo)
    child = watch(registry, child_repo, base=base)
    image_poll(image=base, now=now)
    pusher.push_multiarch(
        child_repo, "44", architectures=TWO_ARCHES, created=iso(now), base=base_build
    )

    image_poll(image=child, now=now + timedelta(minutes=1))
    state = tag_state(child)
    assert state.base_evidence in (BaseEvidence.ANNOTATION, BaseEvidence.LAYERS)
    assert state.builds_behind == 0
    assert state.base_words.endswith("the newest base build")

    pusher.push_multiarch(base_repo, "44", architectures=TWO_ARCHES, created=iso(now))
    image_poll(image=base, now=now + timedelta(hours=1))
    image_poll(image=child, now=now + timedelta(hours=1, minutes=1))

    state = tag_state(child)
    assert state.builds_behind == 1
    assert state.base_words.endswith("1 base builds behind")


def test_layer_prefix_alone_proves_the_base_when_annotations_are_absent(
    registry: RegistryServer, pusher: OciPusher, repo: str, now: datetime
) -> None:
    base_repo, child_repo = f"{repo}-base", f"{repo}-child"
    base_build = pusher.push_multiarch(base_repo, "44", architectures=TWO_ARCHES, created=iso(now))
    base = watch(registry, base_repo)
    child = watch(registry, child_repo, base=base)
    image_poll(image=base, now=now)
    # Docker manifests carry no OCI base annotations: only the layers tell.
    pusher.push_multiarch(
        child_repo, "44", architectures=TWO_ARCHES, docker=True, created=iso(now), base=base_build
    )

    image_poll(image=child, now=now)

    assert tag_state(child).base_evidence == BaseEvidence.LAYERS


def test_image_not_built_on_the_base_has_no_evidence(
    registry: RegistryServer, pusher: OciPusher, repo: str, now: datetime
) -> None:
    base_repo, other_repo = f"{repo}-base", f"{repo}-other"
    pusher.push_multiarch(base_repo, "44", architectures=TWO_ARCHES, created=iso(now))
    pusher.push_multiarch(other_repo, "44", architectures=TWO_ARCHES, created=iso(now))
    base = watch(registry, base_repo)
    other = watch(registry, other_repo, base=base)
    image_poll(image=base, now=now)

    image_poll(image=other, now=now)

    state = tag_state(other)
    assert state.base_evidence == BaseEvidence.NONE
    assert state.builds_behind is None
    assert state.base_words == f"no layer or annotation shows it is built on {base.reference}"


# Automatic blockers


def test_incident_past_the_grace_period_opens_one_blocker_and_recovery_resolves_it(
    registry: RegistryServer, pusher: OciPusher, repo: str, now: datetime
) -> None:
    pusher.push_multiarch(
        repo, "44", architectures=TWO_ARCHES, created=iso(now - timedelta(days=3))
    )
    subproject, milestone = SubprojectFactory(), MilestoneFactory()
    image = watch(registry, repo, grace_hours=6, subproject=subproject, milestone=milestone)

    image_poll(image=image, now=now)
    assert tag_state(image).blocker is None  # stale, but within the grace period
    image_poll(image=image, now=now + timedelta(hours=7))
    image_poll(image=image, now=now + timedelta(hours=8))

    state = tag_state(image)
    blocker = state.blocker
    assert blocker is not None
    assert blocker.reporter.username == SYSTEM_USERNAME
    assert blocker.title == f"{image.reference}:44 is stale"
    assert list(blocker.subprojects.all()) == [subproject]
    assert list(blocker.milestones.all()) == [milestone]
    assert subproject.blockers.count() == 1

    pusher.push_multiarch(
        repo, "44", architectures=TWO_ARCHES, created=iso(now + timedelta(hours=9))
    )
    image_poll(image=image, now=now + timedelta(hours=10))

    blocker.refresh_from_db()
    assert blocker.status == BlockerStatus.RESOLVED
    assert "Resolved by the health check" in blocker.description
    latest = blocker.history.latest()
    assert latest.history_user.username == SYSTEM_USERNAME
    assert latest.prev_record.status == BlockerStatus.OPEN
    assert tag_state(image).blocker is None


def test_registry_outage_never_starts_an_incident_or_opens_a_blocker(
    stub_server: StubServer, now: datetime
) -> None:
    stub_server.route("*", "/v2/r/manifests/44", StubResponse(503))
    image = watch(stub_server, "r", grace_hours=0)

    image_poll(image=image, now=now)
    image_poll(image=image, now=now + timedelta(days=3))

    state = tag_state(image)
    assert state.state == HealthState.UNREACHABLE
    assert state.blocker is None
    assert state.unhealthy_since is None


# Sample thinning


def test_thinning_keeps_raw_samples_then_the_worst_one_per_hour_and_per_day(
    registry: RegistryServer, now: datetime
) -> None:
    image = watch(registry, "fedimage-test/thin")
    state = tag_state(image)
    hour_start = (now - timedelta(days=5)).replace(minute=0, second=0, microsecond=0)
    day_start = (now - timedelta(days=60)).replace(hour=0, minute=0, second=0, microsecond=0)
    Sample.objects.bulk_create(
        [
            *(
                Sample(tag=state, at=now - timedelta(minutes=5 * i), state="healthy")
                for i in range(10)
            ),
            *(
                Sample(tag=state, at=hour_start + timedelta(minutes=5 * i), state=s)
                for i, s in enumerate(["healthy", "missing", "healthy", "stale"])
            ),
            *(
                Sample(tag=state, at=day_start + timedelta(hours=i), state=s)
                for i, s in enumerate(["healthy", "stale", "healthy"])
            ),
            Sample(tag=state, at=now - timedelta(days=500), state="healthy"),
        ]
    )

    deleted = samples_thin(now=now)

    assert deleted == 3 + 2 + 1
    assert Sample.objects.filter(at__gte=now - timedelta(days=2)).count() == 10
    kept = set(Sample.objects.filter(at__lt=now - timedelta(days=2)).values_list("at", "state"))
    assert kept == {
        (hour_start + timedelta(minutes=5), "missing"),
        (day_start + timedelta(hours=1), "stale"),
    }


def test_digest_record_keeps_each_architectures_layers_for_base_evidence(
    registry: RegistryServer, pusher: OciPusher, repo: str, now: datetime
) -> None:
    pusher.push_multiarch(repo, "44", architectures=TWO_ARCHES, created=iso(now))
    image = watch(registry, repo)

    image_poll(image=image, now=now)

    record = DigestRecord.objects.get(tag__image=image)
    assert json.loads(json.dumps(record.details))["amd64"]["layers"]


# Digest thinning

FOUR_ARCHES = ("amd64", "arm64", "ppc64le", "s390x")


def heavy_details(seed: int) -> dict:
    """Per-architecture details as a bootc build records them: ~20 KB, mostly layer lists."""
    return {
        arch: {
            "os": "linux",
            "variant": None,
            "manifest": sha256_digest(f"{seed}-{arch}-manifest".encode()),
            "config": sha256_digest(f"{seed}-{arch}-config".encode()),
            "created": None,
            "version": "44.20260501.0",
            "layers": [sha256_digest(f"{seed}-{arch}-{n}".encode()) for n in range(70)],
            "base_name": None,
            "base_digest": None,
        }
        for arch in FOUR_ARCHES
    }


def add_daily_builds(state: TagState, *, days: int, until: datetime) -> None:
    DigestRecord.objects.bulk_create(
        DigestRecord(
            tag=state,
            digest=sha256_digest(f"{state.pk}-{day}".encode()),
            media_type=OCI_INDEX,
            first_seen=until - timedelta(days=days - 1 - day),
            built_at=until - timedelta(days=days - 1 - day, hours=1),
            arches=list(FOUR_ARCHES),
            details=heavy_details(day),
            signed=True,
        )
        for day in range(days)
    )


def details_bytes(**filters) -> int:
    return sum(
        len(json.dumps(d))
        for d in DigestRecord.objects.filter(**filters).values_list("details", flat=True)
    )


def test_a_year_of_daily_builds_keeps_its_history_but_not_its_old_layer_lists(
    now: datetime,
) -> None:
    image = WatchedImageFactory()
    state = tag_state(image)
    add_daily_builds(state, days=365, until=now - timedelta(hours=12))  # no build on a boundary
    before = details_bytes(tag=state)
    history = list(
        DigestRecord.objects.filter(tag=state).values_list("digest", "built_at", "arches", "signed")
    )

    thinned = digests_thin(now=now, full_for=timedelta(days=30), keep_latest=5)

    assert thinned == 365 - 30
    assert before > 365 * 20_000
    assert details_bytes(tag=state) < before / 5
    assert details_bytes(tag=state, thinned=True) < 335 * 1_500  # ~1 KB a build once thinned
    # The cadence and digests-over-time history is whole.
    assert (
        list(
            DigestRecord.objects.filter(tag=state).values_list(
                "digest", "built_at", "arches", "signed"
            )
        )
        == history
    )
    oldest = DigestRecord.objects.filter(tag=state).last()
    assert oldest.thinned
    assert oldest.details["amd64"]["layer_count"] == 70
    assert "layers" not in oldest.details["amd64"]
    assert oldest.details["amd64"]["manifest"] == heavy_details(0)["amd64"]["manifest"]
    recent = DigestRecord.objects.filter(tag=state, first_seen__gte=now - timedelta(days=29))
    assert all(len(r.details["s390x"]["layers"]) == 70 for r in recent)
    # A year later, only the newest few per tag keep their layers; a rerun has nothing to do.
    assert digests_thin(now=now + timedelta(days=365), keep_latest=5) == 30 - 5
    assert digests_thin(now=now + timedelta(days=365), keep_latest=5) == 0
    assert DigestRecord.objects.filter(tag=state, thinned=False).count() == 5


def test_base_evidence_for_the_current_digest_survives_thinning(
    registry: RegistryServer, pusher: OciPusher, repo: str, now: datetime
) -> None:
    base_repo, child_repo = f"{repo}-base", f"{repo}-child"
    base_build = pusher.push_multiarch(base_repo, "44", architectures=TWO_ARCHES, created=iso(now))
    base = watch(registry, base_repo)
    child = watch(registry, child_repo, base=base)
    image_poll(image=base, now=now)
    # Docker manifests carry no base annotations: only the layer lists can prove the base.
    pusher.push_multiarch(
        child_repo, "44", architectures=TWO_ARCHES, docker=True, created=iso(now), base=base_build
    )
    image_poll(image=child, now=now)
    assert tag_state(child).base_evidence == BaseEvidence.LAYERS
    # A year of older builds of both, and three newer base builds the child is not built on.
    add_daily_builds(tag_state(base), days=365, until=now - timedelta(days=1))
    add_daily_builds(tag_state(child), days=365, until=now - timedelta(days=1))
    add_daily_builds(tag_state(base), days=3, until=now + timedelta(days=3))
    later = now + timedelta(days=100)

    thinned = digests_thin(now=later, keep_latest=2)

    # Base: the old year and the oldest newer build; child: the old year but its newest.
    assert thinned == (365 + 1) + (365 - 1)
    kept_full = DigestRecord.objects.filter(thinned=False, tag__image__in=[base, child])
    assert kept_full.count() == 2 + 1 + 2  # two newest per tag, plus the base build cited
    assert kept_full.filter(digest=base_build.digest).exists()
    image_poll(image=child, now=later)
    state = tag_state(child)
    assert state.base_evidence == BaseEvidence.LAYERS
    assert state.base_record.digest == base_build.digest
    assert state.builds_behind == 3


def test_daily_thinning_job_thins_samples_and_digests(now: datetime) -> None:
    image = WatchedImageFactory()
    state = tag_state(image)
    add_daily_builds(state, days=60, until=now - timedelta(hours=12))
    Sample.objects.create(tag=state, at=now - timedelta(days=500), state=HealthState.HEALTHY)

    assert thin_samples() == 1 + 60 - 30

    assert not Sample.objects.exists()
    assert DigestRecord.objects.filter(tag=state, thinned=True).count() == 30
