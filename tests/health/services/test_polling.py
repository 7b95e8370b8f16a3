"""image_poll against a real distribution registry: states, reasons, request counts."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fedimage.health.clients.oci import OCI_MANIFEST
from fedimage.health.clients.registry import RegistryClient
from fedimage.health.models import DigestRecord, HealthState, Sample, StateChange, TagState
from fedimage.health.services import image_poll
from fedimage.health.services.polling import CacheMemory
from tests.health.factories import WatchedImageFactory, tag_state, watch
from tests.health.oci import TWO_ARCHES, OciPusher, iso
from tests.health.registry_server import RegistryServer, StubResponse, StubServer, TokenServer

pytestmark = pytest.mark.django_db


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


# Tokens reused across polls


def test_tokens_are_reused_across_polls_and_clients_per_repository_scope(
    token_registry: RegistryServer,
    token_pusher: OciPusher,
    token_server: TokenServer,
    repo: str,
    now: datetime,
) -> None:
    """Each poll builds its own client (as each worker process does); the token, kept in the
    shared cache until it expires, is asked for once per repository, and later polls send it
    with their first request instead of meeting a 401."""
    other = f"{repo}-other"
    for name in (repo, other):
        token_pusher.push_multiarch(name, "44", architectures=TWO_ARCHES, created=iso(now))
    images = [
        WatchedImageFactory(registry=token_registry.host, repository=name, tags=["44", "45"])
        for name in (repo, other)
    ]
    asked = len(token_server.requests)
    for image in images:
        image_poll(image=image, now=now)
    first_scopes = token_server.pull_scopes()[asked:]

    reports = [image_poll(image=image, now=now + timedelta(minutes=10)) for image in images]

    assert sorted(first_scopes) == sorted(f"repository:{name}:pull" for name in (repo, other))
    assert token_server.pull_scopes()[asked:] == first_scopes  # no token asked again
    assert [report.requests for report in reports] == [2, 2]  # one HEAD per tag, no 401


def test_client_memory_used_from_reading_threads_opens_no_cache_connection_of_theirs() -> None:
    """A poll's reading threads (new ones each poll) use the cache backend, and so the Redis
    connection, of the thread that made the client: Django would give each its own."""
    memory = CacheMemory()
    memory.set("realm-of-some-registry", "known", ttl=60)
    seen: dict[str, object] = {}

    def read() -> None:
        seen["value"] = memory.get("realm-of-some-registry")
        seen["own backend"] = hasattr(caches._connections, "default")

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()

    assert seen == {"value": "known", "own backend": False}


# Database work proportional to what changed


def _unchanged_poll_statements(image, now: datetime) -> int:
    with CaptureQueriesContext(connection) as queries:
        report = image_poll(image=image, now=now)
    assert not any(o.changed or o.new_digest for o in report.outcomes)
    return len(queries)


def test_an_unchanged_poll_costs_the_same_few_statements_whatever_the_number_of_tags(
    registry: RegistryServer, pusher: OciPusher, repo: str, now: datetime
) -> None:
    built = iso(now - timedelta(hours=3))  # still "3 hours ago" five minutes later
    pushed = pusher.push_multiarch(repo, "t0", architectures=TWO_ARCHES, created=built)
    tags = [f"t{n}" for n in range(12)]
    for tag in tags[1:]:
        pusher.tag(repo, tag, pushed)
    few = watch(registry, repo, tags=tags[:2], signature_expected=True)
    many = watch(registry, repo, tags=tags, signature_expected=True)
    for image in (few, many):
        image_poll(image=image, now=now)

    statements = [
        _unchanged_poll_statements(image, now + timedelta(minutes=5)) for image in (few, many)
    ]

    # The tags, the digests of the unsigned ones, one statement confirming the tags and adding
    # their samples (their reasons are those of the last poll: nothing else to write)
    assert statements[0] == statements[1] == 3
    assert Sample.objects.filter(tag__image=many).count() == 2 * len(tags)
    assert {s.state for s in TagState.objects.filter(image=many)} == {HealthState.DEGRADED}


def test_a_gpg_signed_tag_is_checked_on_its_lookaside(registry, pusher, repo, stub_server, now):
    """GPG simple signing (CoreOS) is checked on the lookaside the image names."""
    pushed = pusher.push_multiarch(
        repo, "44", architectures=("amd64", "arm64"), created=now.isoformat()
    )
    image = WatchedImageFactory(
        registry=registry.host,
        repository=repo,
        signature_expected=True,
        signature_kind="gpg",
        signature_lookaside=f"{stub_server.url}/lookaside",
    )
    image_poll(image=image, now=now)
    state = TagState.objects.get(image=image)
    assert state.state == HealthState.DEGRADED
    assert "no GPG simple signature on the lookaside" in state.reason

    algorithm, hex_digest = pushed.digest.split(":")
    stub_server.route(
        "GET",
        f"/lookaside/{repo}@{algorithm}={hex_digest}/signature-1",
        StubResponse(200, body=b"\x89\x02\x1c\x04 a simple signing blob"),
    )
    image_poll(image=image, now=now + timedelta(hours=1))
    state.refresh_from_db()
    assert state.state == HealthState.HEALTHY
    assert state.signed is True


def _writes(queries: CaptureQueriesContext) -> list[str]:
    """The statements writing tags (the first, reading them, left out)."""
    return [q["sql"] for q in queries.captured_queries if "health_tagstate" in q["sql"]][1:]


def test_an_unchanged_poll_writes_the_check_the_strip_and_only_the_reasons_that_changed(
    registry: RegistryServer, pusher: OciPusher, repo: str, now: datetime
) -> None:
    """An unchanged tag's row gets its check time and one more entry in its strip (the oldest
    dropped past TagState.RECENT_LENGTH) and a sample; its reason is written only when it
    changed (a build a little older), in its own statement with only that column."""
    pushed = pusher.push_image(repo, "44", created=iso(now - timedelta(hours=3)))
    image = watch(registry, repo, tags=["44", "gone"], expected_arches=["amd64"])
    image_poll(image=image, now=now)
    gone = tag_state(image, "gone")
    full = [[(now - timedelta(hours=n)).isoformat(), "missing"] for n in range(30, 6, -1)]
    TagState.objects.filter(pk=gone.pk).update(recent=full)
    later, much_later = now + timedelta(minutes=5), now + timedelta(hours=2)

    with CaptureQueriesContext(connection) as quiet:
        image_poll(image=image, now=later)
    with CaptureQueriesContext(connection) as older:
        image_poll(image=image, now=much_later)

    assert len(_writes(quiet)) == 1
    assert "reason" not in _writes(quiet)[0]
    assert len(_writes(older)) == 2
    assert 'SET "reason" = v."reason"' in _writes(older)[1]
    fresh = tag_state(image, "44")
    assert f"'{{{fresh.pk}}}'" in _writes(older)[1]  # the one tag whose reason changed
    assert "base_words" not in _writes(older)[1]
    gone = tag_state(image, "gone")
    assert fresh.reason.startswith("built 5 hours ago")
    assert gone.reason.startswith(f"{image.reference}:gone does not exist")
    assert fresh.checked_at == gone.checked_at == much_later
    assert fresh.recent == [
        [at.isoformat(), HealthState.HEALTHY] for at in (now, later, much_later)
    ]
    assert len(gone.recent) == TagState.RECENT_LENGTH
    assert gone.recent[:-2] == full[2:]
    assert gone.recent[-2:] == [[at.isoformat(), "missing"] for at in (later, much_later)]
    samples = Sample.objects.filter(tag__image=image, at__gt=now).order_by("at", "tag__tag")
    assert (
        list(samples.values_list("tag__tag", "state", "digest"))
        == [
            ("44", HealthState.HEALTHY, pushed.digest),
            ("gone", HealthState.MISSING, ""),
        ]
        * 2
    )


def test_a_poll_confirming_only_failed_tags_records_their_samples_without_digests(
    registry: RegistryServer, repo: str, now: datetime
) -> None:
    image = watch(registry, repo, tags=["gone", "also-gone"])
    image_poll(image=image, now=now)

    report = image_poll(image=image, now=now + timedelta(minutes=5))

    assert [o.changed for o in report.outcomes] == [False, False]
    samples = Sample.objects.filter(tag__image=image).values_list("tag__tag", "state", "digest")
    assert sorted(samples) == sorted(
        (tag, HealthState.MISSING, "") for tag in ("gone", "also-gone") for _ in range(2)
    )
    assert [len(state.recent) for state in TagState.objects.filter(image=image)] == [2, 2]
