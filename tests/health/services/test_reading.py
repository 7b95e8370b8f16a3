"""Reading the registry: what is read, by digest, and what a bad answer becomes."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import httpx
import pytest

from fedimage.health.clients.oci import OCI_INDEX, OCI_MANIFEST
from fedimage.health.clients.registry import RegistryClient
from fedimage.health.models import DigestFacts, DigestRecord, HealthState
from fedimage.health.services import image_poll
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


def test_garbage_answer_is_reported_for_its_tag_and_the_others_are_still_polled(
    stub_server: StubServer, now: datetime
) -> None:
    stub_single_arch(stub_server, "r", "good", now)
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
    stub_single_arch(stub_server, "r", "44", now)
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


# Reading only what is new


def test_a_tag_moving_to_a_digest_already_read_costs_its_head_alone(
    registry: RegistryServer, pusher: OciPusher, repo: str, now: datetime
) -> None:
    stable = pusher.push_multiarch(repo, "44", architectures=TWO_ARCHES, created=iso(now))
    pusher.push_multiarch(repo, "rawhide", architectures=TWO_ARCHES, created=iso(now))
    image = watch(registry, repo, tags=["44", "rawhide"])
    image_poll(image=image, now=now)
    pusher.tag(repo, "rawhide", stable)

    report = image_poll(image=image, now=now + timedelta(minutes=10))

    rawhide = tag_state(image, "rawhide")
    assert report.requests == 2  # a HEAD per tag; the digest, its platforms and signature known
    assert rawhide.digest == stable.digest
    assert rawhide.arches == ["amd64", "arm64"]
    assert rawhide.state == HealthState.HEALTHY
    assert DigestRecord.objects.filter(tag=rawhide).count() == 2


def test_tags_sharing_a_digest_have_its_platforms_read_once(
    registry: RegistryServer, pusher: OciPusher, repo: str, now: datetime
) -> None:
    pushed = pusher.push_multiarch(repo, "44", architectures=TWO_ARCHES, created=iso(now))
    pusher.tag(repo, "latest", pushed)
    image = watch(registry, repo, tags=["44", "latest"])

    report = image_poll(image=image, now=now)

    # One GET by tag each, then the two platform manifests and configs once, the signature
    # tag and the referrers probe once.
    assert report.requests == 2 + 2 * 2 + 2
    assert DigestFacts.objects.filter(repository=repo).count() == 3  # index and two platforms


def test_a_rebuilt_index_reads_only_the_platforms_that_changed(
    registry: RegistryServer, pusher: OciPusher, repo: str, now: datetime
) -> None:
    arm64 = pusher.push_image(repo, architecture="arm64", variant="v8", created=iso(now))
    old_amd64 = pusher.push_image(repo, architecture="amd64", created=iso(now))
    pusher.push_index(repo, "44", [old_amd64, arm64])
    image = watch(registry, repo)
    image_poll(image=image, now=now)
    later = now + timedelta(hours=6)
    new_amd64 = pusher.push_image(repo, architecture="amd64", created=iso(later))
    rebuilt = pusher.push_index(repo, "44", [new_amd64, arm64])

    report = image_poll(image=image, now=later + timedelta(minutes=5))

    # HEAD, the new index, the new amd64 manifest and its config, the signature tag.
    assert report.requests == 5
    state = tag_state(image)
    assert state.digest == rebuilt.digest
    assert state.arch_builds["amd64"]["at"] == later.isoformat()
    assert state.arch_builds["arm64"]["at"] == now.isoformat()


# The rebuilt-while-polling race


def _repush_after_head(
    pusher: OciPusher, repo: str, tag: str, *, delete_old: bool, created: str
) -> tuple[httpx.Client, dict]:
    """An HTTP client for the poller that re-pushes `tag` right after answering its HEAD."""
    seen: dict = {}

    def on_response(response: httpx.Response) -> None:
        request = response.request
        if seen or request.method != "HEAD" or not request.url.path.endswith(f"/manifests/{tag}"):
            return
        seen["announced"] = response.headers["Docker-Content-Digest"]
        seen["pushed"] = pusher.push_multiarch(
            repo, tag, architectures=TWO_ARCHES, version="44.9", created=created
        )
        if delete_old:
            pusher.delete_manifest(repo, seen["announced"])

    return httpx.Client(timeout=10, event_hooks={"response": [on_response]}), seen


@pytest.mark.parametrize("delete_old", [False, True], ids=["kept", "deleted"])
def test_a_tag_rebuilt_between_head_and_get_is_read_by_digest_never_as_garbage(
    registry: RegistryServer, pusher: OciPusher, repo: str, now: datetime, delete_old: bool
) -> None:
    pusher.push_multiarch(repo, "44", architectures=TWO_ARCHES, created=iso(now))
    image = watch(registry, repo)
    image_poll(image=image, now=now)
    second = pusher.push_multiarch(
        repo, "44", architectures=TWO_ARCHES, version="44.2", created=iso(now)
    )
    http, seen = _repush_after_head(pusher, repo, "44", delete_old=delete_old, created=iso(now))

    with http, RegistryClient(registry.host, insecure=True, http_client=http) as client:
        image_poll(image=image, client=client, now=now + timedelta(minutes=10))

    state = tag_state(image)
    assert seen["announced"] == second.digest
    assert state.state == HealthState.HEALTHY
    if delete_old:
        # The digest the HEAD named is gone: the tag is followed to its newest build.
        assert (state.digest, state.version) == (seen["pushed"].digest, "44.9")
    else:
        # What the HEAD named is what is described, whatever the tag says meanwhile.
        assert (state.digest, state.version) == (second.digest, "44.2")


# Requests in flight together


def test_the_heads_of_an_images_tags_are_in_flight_together(
    stub_server: StubServer, now: datetime, settings
) -> None:
    """Each HEAD is answered only once all three have arrived: sent one after another, they
    would time out at the barrier and the tags would be unreachable."""
    settings.HEALTH_REQUESTS_IN_FLIGHT = 3
    tags = ["a", "b", "c"]
    for tag in tags:
        stub_single_arch(stub_server, "r", tag, now)
    image = watch(stub_server, "r", tags=tags, expected_arches=["amd64"])
    image_poll(image=image, now=now)
    barrier = threading.Barrier(3, timeout=10)

    def together(route: StubResponse):
        def answer(method: str, path: str, headers: dict) -> StubResponse:
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                return StubResponse(503)
            return route

        return answer

    for tag in tags:
        key = ("*", f"/v2/r/manifests/{tag}")
        stub_server.route(*key, together(stub_server.routes[key]))

    report = image_poll(image=image, now=now + timedelta(minutes=10))

    assert report.requests == 3
    assert {o.state for o in report.outcomes} == {HealthState.HEALTHY}
