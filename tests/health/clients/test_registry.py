"""The OCI registry client against a real distribution registry and against scripted bad answers."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fedimage.health.clients.auth import LocalMemory
from fedimage.health.clients.errors import (
    AccessDenied,
    NotFound,
    RegistryGarbage,
    RegistryUnavailable,
)
from fedimage.health.clients.oci import (
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST,
    OCI_INDEX,
    OCI_MANIFEST,
    ImageManifest,
    ManifestIndex,
)
from fedimage.health.clients.registry import RegistryClient
from tests.health.oci import OciPusher, canonical_json, read_tag, sha256_digest
from tests.health.registry_server import (
    RegistryServer,
    StubResponse,
    StubRoute,
    StubServer,
    TokenServer,
    free_port,
)

CREATED = datetime(2026, 5, 1, 4, 12, 33, 123456, tzinfo=UTC)


# Reading what a tag points at


def test_multiarch_index_lists_every_architecture_with_created_and_version(
    registry_client: RegistryClient, pusher: OciPusher, repo: str
) -> None:
    pushed = pusher.push_multiarch(repo, "44", version="44.20260501.0")

    info = read_tag(registry_client, repo, "44")

    assert info.digest == pushed.digest
    assert info.media_type == OCI_INDEX
    assert info.is_index
    assert info.arch_names == {"amd64", "arm64", "ppc64le", "s390x"}
    for arch in info.architectures:
        image = pushed.image(arch.architecture)
        assert arch.os == "linux"
        assert arch.manifest_digest == image.digest
        assert arch.config_digest == image.config_digest
        assert arch.created == CREATED
        assert arch.version == "44.20260501.0"
        assert arch.labels["containers.bootc"] == "1"
        assert arch.layers == image.layers
    assert info.arch("arm64").variant == "v8"
    assert info.arch("amd64").variant is None


def test_attestation_entries_of_an_index_are_skipped(
    registry_client: RegistryClient, pusher: OciPusher, repo: str
) -> None:
    pusher.push_multiarch(repo, "latest", architectures=("amd64", "arm64"), attestation=True)

    index = registry_client.get_manifest(repo, "latest")
    info = read_tag(registry_client, repo, "latest")

    assert isinstance(index, ManifestIndex)
    assert len(index.manifests) == 4
    assert sum(entry.is_attestation for entry in index.manifests) == 2
    assert info.arch_names == {"amd64", "arm64"}


def test_docker_manifest_list_is_read_like_an_oci_index(
    registry_client: RegistryClient, pusher: OciPusher, repo: str
) -> None:
    pushed = pusher.push_multiarch(repo, "stable", architectures=("amd64", "arm64"), docker=True)

    head = registry_client.head_manifest(repo, "stable")
    info = read_tag(registry_client, repo, "stable")

    assert head.media_type == DOCKER_MANIFEST_LIST
    assert head.digest == pushed.digest
    assert info.media_type == DOCKER_MANIFEST_LIST
    assert info.arch_names == {"amd64", "arm64"}
    assert info.arch("amd64").created == CREATED
    assert info.arch("amd64").version == "44.20260501.0"


def test_single_arch_manifest_takes_its_platform_from_the_config(
    registry_client: RegistryClient, pusher: OciPusher, repo: str
) -> None:
    pushed = pusher.push_image(repo, "rawhide", architecture="arm64", variant="v8", version="45.1")

    info = read_tag(registry_client, repo, "rawhide")

    assert not info.is_index
    assert info.media_type == OCI_MANIFEST
    assert info.digest == pushed.digest
    [arch] = info.architectures
    assert (arch.architecture, arch.os, arch.variant) == ("arm64", "linux", "v8")
    assert arch.manifest_digest == pushed.digest
    assert arch.version == "45.1"


def test_docker_single_arch_manifest_is_read(
    registry_client: RegistryClient, pusher: OciPusher, repo: str
) -> None:
    pusher.push_image(repo, "v1", docker=True)

    info = read_tag(registry_client, repo, "v1")

    assert info.media_type == DOCKER_MANIFEST
    assert info.arch_names == {"amd64"}


def test_image_without_created_reports_none(
    registry_client: RegistryClient, pusher: OciPusher, repo: str
) -> None:
    pushed = pusher.push_image(repo, "v1", created=None)

    assert registry_client.get_config(repo, pushed.config_digest).created is None


def test_missing_architecture_is_visible_in_the_result(
    registry_client: RegistryClient, pusher: OciPusher, repo: str
) -> None:
    pusher.push_multiarch(repo, "44", architectures=("amd64", "aarch64"))
    pusher.push_multiarch(repo, "44", architectures=("amd64",))

    info = read_tag(registry_client, repo, "44")

    assert info.arch_names == {"amd64"}
    assert info.arch("aarch64") is None


def test_manifest_fetched_by_digest_matches_the_tag(
    registry_client: RegistryClient, pusher: OciPusher, repo: str
) -> None:
    pushed = pusher.push_multiarch(repo, "44", architectures=("amd64",))

    child = registry_client.get_manifest(repo, pushed.image("amd64").digest)

    assert isinstance(child, ImageManifest)
    assert child.digest == pushed.image("amd64").digest
    assert child.layers == pushed.image("amd64").layers


def test_unchanged_tag_check_costs_one_head_request(
    registry_client: RegistryClient, pusher: OciPusher, repo: str
) -> None:
    pushed = pusher.push_multiarch(repo, "44")
    known = read_tag(registry_client, repo, "44").digest
    before = registry_client.request_count

    head = registry_client.head_manifest(repo, "44")

    assert head.digest == known == pushed.digest
    assert head.size == len(pushed.manifest)
    assert registry_client.request_count - before == 1


def test_full_inspection_of_an_index_costs_one_request_per_manifest_and_config(
    registry_client: RegistryClient, pusher: OciPusher, repo: str
) -> None:
    pusher.push_multiarch(repo, "44", architectures=("amd64", "arm64"), attestation=True)

    read_tag(registry_client, repo, "44")

    assert registry_client.request_count == 1 + 2 * 2


def test_rebuilt_tag_gets_a_new_digest(
    registry_client: RegistryClient, pusher: OciPusher, repo: str
) -> None:
    first = pusher.push_multiarch(repo, "44", version="44.20260501.0")
    old = registry_client.head_manifest(repo, "44").digest

    second = pusher.push_multiarch(repo, "44", version="44.20260502.0")
    new = registry_client.head_manifest(repo, "44").digest

    assert (old, new) == (first.digest, second.digest)
    assert old != new
    assert read_tag(registry_client, repo, "44").arch("amd64").version == "44.20260502.0"


# Signatures and base images


def test_signed_image_has_a_cosign_signature(
    registry_client: RegistryClient, pusher: OciPusher, repo: str
) -> None:
    pushed = pusher.push_multiarch(repo, "latest")
    signature_manifest = pusher.push_cosign_signature(repo, pushed.digest)

    signature = registry_client.signature(repo, pushed.digest)

    assert signature is not None
    assert signature.kind == "cosign-tag"
    assert signature.tag == f"sha256-{pushed.digest.removeprefix('sha256:')}.sig"
    assert signature.digest == signature_manifest.digest


def test_unsigned_image_has_no_signature_after_referrers_and_tag_lookups(
    registry_client: RegistryClient, pusher: OciPusher, repo: str
) -> None:
    signed = pusher.push_image(repo, "signed")
    pusher.push_cosign_signature(repo, signed.digest)
    unsigned = pusher.push_image(repo, "unsigned")

    assert registry_client.signature(repo, unsigned.digest) is None
    # No signature tag, then the referrers API: the Debian registry has none (404), which the
    # client remembers, so the next lookup costs the signature tag's HEAD alone.
    assert registry_client.request_count == 2
    assert registry_client.referrers_supported is False
    assert registry_client.signature(repo, signed.digest) is not None
    assert registry_client.signature(repo, unsigned.digest) is None
    assert registry_client.request_count == 2 + 1 + 1


def test_child_image_layers_start_with_base_layers(
    registry_client: RegistryClient, pusher: OciPusher, repo: str
) -> None:
    base_repo = f"{repo}-base"
    base = pusher.push_multiarch(base_repo, "44", architectures=("amd64", "arm64"))
    pusher.push_multiarch(repo, "44", architectures=("amd64", "arm64"), base=base)

    base_info = read_tag(registry_client, base_repo, "44")
    child_info = read_tag(registry_client, repo, "44")

    for arch in ("amd64", "arm64"):
        base_arch, child_arch = base_info.arch(arch), child_info.arch(arch)
        assert child_arch.layers[: len(base_arch.layers)] == base_arch.layers
        assert len(child_arch.layers) > len(base_arch.layers)
        assert child_arch.base_digest == base_arch.manifest_digest
        assert child_arch.base_name == f"{base_repo}:latest"
    assert base_info.arch("amd64").base_digest is None


# Missing is not unreachable


def test_missing_tag_is_not_found(
    registry_client: RegistryClient, pusher: OciPusher, repo: str
) -> None:
    pusher.push_image(repo, "44")

    with pytest.raises(NotFound) as head_error:
        registry_client.head_manifest(repo, "45")
    with pytest.raises(NotFound):
        registry_client.get_manifest(repo, "45")
    with pytest.raises(NotFound):
        read_tag(registry_client, repo, "45")
    assert not isinstance(head_error.value, AccessDenied)


def test_missing_repository_is_not_found(registry_client: RegistryClient, repo: str) -> None:
    with pytest.raises(NotFound):
        registry_client.head_manifest(repo, "latest")
    with pytest.raises(NotFound) as error:
        registry_client.get_manifest(repo, "latest")
    assert not isinstance(error.value, AccessDenied)


def test_missing_blob_is_not_found(
    registry_client: RegistryClient, pusher: OciPusher, repo: str
) -> None:
    pusher.push_image(repo, "44")

    with pytest.raises(NotFound):
        registry_client.get_config(repo, sha256_digest(b"never pushed"))


def test_stopped_registry_is_unavailable_not_missing(tmp_path: Path, repo: str) -> None:
    with (
        RegistryServer(tmp_path) as server,
        RegistryClient(server.host, insecure=True, timeout=2) as client,
    ):
        with pytest.raises(NotFound):
            client.head_manifest(repo, "44")
        server.stop()

        with pytest.raises(RegistryUnavailable) as error:
            client.head_manifest(repo, "44")

    assert not isinstance(error.value, NotFound)
    assert error.value.status is None


def test_closed_port_is_unavailable(repo: str) -> None:
    with RegistryClient(f"127.0.0.1:{free_port()}", insecure=True, timeout=2) as client:
        with pytest.raises(RegistryUnavailable):
            read_tag(client, repo, "44")
        with pytest.raises(RegistryUnavailable):
            client.signature(repo, sha256_digest(b"x"))


def test_secure_client_speaks_https(registry: RegistryServer, repo: str) -> None:
    # The plain-HTTP test registry cannot complete a TLS handshake: a TLS client must not fall
    # back to plain HTTP.
    with RegistryClient(registry.host, timeout=2) as client:
        assert client.base_url.startswith("https://")
        with pytest.raises(RegistryUnavailable):
            client.head_manifest(repo, "44")


# Token authentication


def test_token_registry_challenge_fetches_one_token_reused_across_calls(
    token_registry: RegistryServer, token_pusher: OciPusher, token_server: TokenServer, repo: str
) -> None:
    pushed = token_pusher.push_multiarch(repo, "44", architectures=("amd64", "arm64"))
    token_requests_before = len(token_server.requests)

    with RegistryClient(token_registry.host, insecure=True, timeout=5) as client:
        info = read_tag(client, repo, "44")
        head = client.head_manifest(repo, "44")

    assert info.digest == head.digest == pushed.digest
    assert info.arch_names == {"amd64", "arm64"}
    assert client.token_request_count == 1
    assert token_server.pull_scopes()[token_requests_before:] == [f"repository:{repo}:pull"]
    # The first manifest GET is refused and retried after the one token request; every later
    # call (two child manifests, two configs, the HEAD) carries the cached token.
    assert client.request_count == 2 + 1 + 4 + 1


class CountingMemory(LocalMemory):
    """A client memory that counts its look-ups (each one a Redis round trip when shared)."""

    def __init__(self) -> None:
        super().__init__()
        self.lookups = 0

    def get(self, key: str) -> str | None:
        self.lookups += 1
        return super().get(key)


def test_anonymous_registry_requests_look_nothing_up_in_memory_after_the_first(
    registry: RegistryServer, pusher: OciPusher, repo: str
) -> None:
    """A registry that never asked for a token has none: its requests go out without a look-up
    of a token or realm each (one per client, a Redis round trip each when shared)."""
    pusher.push_image(repo, "44")
    memory = CountingMemory()

    with RegistryClient(registry.host, insecure=True, timeout=5, memory=memory) as client:
        for _ in range(5):
            client.head_manifest(repo, "44")

    assert memory.lookups == 1
    assert client.token_request_count == 0


def test_realm_learned_from_a_401_is_used_by_the_same_client_for_other_repositories(
    token_registry: RegistryServer, token_pusher: OciPusher, repo: str
) -> None:
    """A client that started anonymous learns the realm from its first 401; its requests to
    another repository then ask for that scope's token first instead of meeting a 401."""
    other = f"{repo}-other"
    for name in (repo, other):
        token_pusher.push_image(name, "44")

    with RegistryClient(token_registry.host, insecure=True, timeout=5) as client:
        client.head_manifest(repo, "44")
        before = client.request_count
        client.head_manifest(other, "44")

    assert client.request_count - before == 2  # the token, then the HEAD: no 401
    assert client.token_request_count == 2


def test_token_registry_accepts_access_token_field(
    token_registry: RegistryServer,
    token_pusher: OciPusher,
    token_server: TokenServer,
    repo: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pushed = token_pusher.push_image(repo, "44")
    monkeypatch.setattr(token_server, "issued_as", "access_token")

    with RegistryClient(token_registry.host, insecure=True, timeout=5) as client:
        assert client.head_manifest(repo, "44").digest == pushed.digest


def test_token_is_fetched_again_after_it_expires(
    token_registry: RegistryServer, token_pusher: OciPusher, token_server: TokenServer, repo: str
) -> None:
    token_pusher.push_image(repo, "44")
    now = [1000.0]

    with RegistryClient(
        token_registry.host, insecure=True, timeout=5, clock=lambda: now[0]
    ) as client:
        client.head_manifest(repo, "44")
        now[0] += token_server.expires_in - 10
        client.head_manifest(repo, "44")
        assert client.token_request_count == 1
        now[0] += 10
        client.head_manifest(repo, "44")

    assert client.token_request_count == 2


def test_token_registry_missing_tag_is_not_found(
    token_registry: RegistryServer, token_pusher: OciPusher, repo: str
) -> None:
    token_pusher.push_image(repo, "44")

    with (
        RegistryClient(token_registry.host, insecure=True, timeout=5) as client,
        pytest.raises(NotFound) as error,
    ):
        client.head_manifest(repo, "45")
    assert not isinstance(error.value, AccessDenied)


def _bearer_protected(stub: StubServer, response: StubResponse, *, token: str) -> StubRoute:
    def route(method: str, path: str, headers: dict[str, str]) -> StubResponse:
        if headers.get("Authorization") == f"Bearer {token}":
            return response
        challenge = f'Bearer realm="{stub.url}/token",service="stub",scope="repository:r:pull"'
        return StubResponse(401, {"WWW-Authenticate": challenge}, b"")

    return route


def test_access_token_without_expiry_is_cached_for_sixty_seconds(stub_server: StubServer) -> None:
    manifest = _image_manifest_bytes()
    digest = sha256_digest(manifest)
    ok = StubResponse(
        200, {"Content-Type": OCI_MANIFEST, "Docker-Content-Digest": digest}, manifest
    )
    stub_server.route("*", "/v2/r/manifests/1", _bearer_protected(stub_server, ok, token="t0k"))
    stub_server.route(
        "GET",
        "/token?scope=repository%3Ar%3Apull&service=stub",
        StubResponse(200, {"Content-Type": "application/json"}, b'{"access_token": "t0k"}'),
    )
    now = [0.0]

    with RegistryClient(stub_server.host, insecure=True, clock=lambda: now[0]) as client:
        client.head_manifest("r", "1")
        now[0] = 50.0
        client.get_manifest("r", "1")
        assert client.token_request_count == 1
        now[0] = 60.0
        client.head_manifest("r", "1")

    assert client.token_request_count == 2


def test_basic_challenge_is_access_denied_without_a_token_request(
    stub_client: RegistryClient, stub_server: StubServer
) -> None:
    stub_server.route(
        "*", "/v2/r/manifests/1", StubResponse(401, {"WWW-Authenticate": 'Basic realm="x"'})
    )

    with pytest.raises(AccessDenied):
        stub_client.head_manifest("r", "1")
    assert stub_client.request_count == 1
    assert stub_client.token_request_count == 0


def test_basic_challenge_on_ping_only_does_not_block_anonymous_reads(
    stub_client: RegistryClient, stub_server: StubServer
) -> None:
    manifest = _image_manifest_bytes()
    stub_server.route("*", "/v2/", StubResponse(401, {"WWW-Authenticate": 'Basic realm="x"'}))
    stub_server.route(
        "*",
        "/v2/r/manifests/1",
        StubResponse(
            200,
            {"Content-Type": OCI_MANIFEST, "Docker-Content-Digest": sha256_digest(manifest)},
            manifest,
        ),
    )

    assert stub_client.head_manifest("r", "1").digest == sha256_digest(manifest)


# Unreachable answers from a reachable server


def test_rate_limited_answer_is_unavailable_with_retry_after(
    stub_client: RegistryClient, stub_server: StubServer
) -> None:
    stub_server.route("*", "/v2/r/manifests/1", StubResponse(429, {"Retry-After": "7"}))

    with pytest.raises(RegistryUnavailable) as error:
        stub_client.head_manifest("r", "1")

    assert (error.value.status, error.value.retry_after) == (429, 7.0)


def test_server_error_is_unavailable(stub_client: RegistryClient, stub_server: StubServer) -> None:
    stub_server.route("*", "/v2/r/manifests/1", StubResponse(503))

    with pytest.raises(RegistryUnavailable) as error:
        stub_client.get_manifest("r", "1")

    assert error.value.status == 503
    assert error.value.retry_after is None


# Garbage


def test_html_page_with_200_is_garbage(
    stub_client: RegistryClient, stub_server: StubServer
) -> None:
    html = b"<html><body>Welcome to our captive portal</body></html>"
    stub_server.route(
        "*", "/v2/r/manifests/1", StubResponse(200, {"Content-Type": "text/html"}, html)
    )

    with pytest.raises(RegistryGarbage, match="text/html"):
        stub_client.head_manifest("r", "1")
    with pytest.raises(RegistryGarbage, match="text/html"):
        stub_client.get_manifest("r", "1")


def test_head_without_digest_header_is_garbage(
    stub_client: RegistryClient, stub_server: StubServer
) -> None:
    stub_server.route("*", "/v2/r/manifests/1", StubResponse(200, {"Content-Type": OCI_INDEX}))

    with pytest.raises(RegistryGarbage, match="Docker-Content-Digest"):
        stub_client.head_manifest("r", "1")


def test_bad_json_manifest_is_garbage(stub_client: RegistryClient, stub_server: StubServer) -> None:
    body = b'{"schemaVersion": 2, "manifests": ['
    stub_server.route(
        "*",
        "/v2/r/manifests/1",
        StubResponse(
            200, {"Content-Type": OCI_INDEX, "Docker-Content-Digest": sha256_digest(body)}, body
        ),
    )

    with pytest.raises(RegistryGarbage, match="not valid JSON"):
        stub_client.get_manifest("r", "1")


def test_manifest_digest_mismatch_is_garbage(
    stub_client: RegistryClient, stub_server: StubServer
) -> None:
    body = _image_manifest_bytes()
    claimed = sha256_digest(b"something else")
    headers = {"Content-Type": OCI_MANIFEST, "Docker-Content-Digest": claimed}
    stub_server.route("*", "/v2/r/manifests/1", StubResponse(200, headers, body))
    stub_server.route("*", f"/v2/r/manifests/{claimed}", StubResponse(200, headers, body))

    with pytest.raises(RegistryGarbage, match="digest mismatch"):
        stub_client.get_manifest("r", "1")
    with pytest.raises(RegistryGarbage, match="digest mismatch"):
        stub_client.get_manifest("r", claimed)


def test_manifest_by_digest_without_digest_header_is_still_verified(
    stub_client: RegistryClient, stub_server: StubServer
) -> None:
    body = _image_manifest_bytes()
    asked = sha256_digest(b"another manifest")
    stub_server.route(
        "*", f"/v2/r/manifests/{asked}", StubResponse(200, {"Content-Type": OCI_MANIFEST}, body)
    )

    with pytest.raises(RegistryGarbage, match="digest mismatch"):
        stub_client.get_manifest("r", asked)


def test_config_blob_digest_mismatch_is_garbage(
    stub_client: RegistryClient, stub_server: StubServer
) -> None:
    asked = sha256_digest(b"the real config")
    stub_server.route(
        "*", f"/v2/r/blobs/{asked}", StubResponse(200, {}, canonical_json({"os": "linux"}))
    )

    with pytest.raises(RegistryGarbage, match="digest mismatch"):
        stub_client.get_config("r", asked)


def test_config_blob_redirect_is_followed_and_counted(
    stub_client: RegistryClient, stub_server: StubServer
) -> None:
    config = canonical_json(
        {"architecture": "s390x", "os": "linux", "created": "2026-05-01T04:12:33Z"}
    )
    digest = sha256_digest(config)
    stub_server.route(
        "*", f"/v2/r/blobs/{digest}", StubResponse(307, {"Location": f"/cdn/{digest}"})
    )
    stub_server.route("*", f"/cdn/{digest}", StubResponse(200, {}, config))

    result = stub_client.get_config("r", digest)

    assert (result.architecture, result.os, result.labels) == ("s390x", "linux", {})
    assert result.created == datetime(2026, 5, 1, 4, 12, 33, tzinfo=UTC)
    assert stub_client.request_count == 2


@pytest.mark.parametrize(
    ("media_type", "document", "reason"),
    [
        ("application/vnd.docker.distribution.manifest.v1+prettyjws", {}, "unsupported"),
        (OCI_MANIFEST, {"schemaVersion": 2, "layers": []}, "config"),
        (OCI_MANIFEST, {"schemaVersion": 2, "config": {"digest": "sha256:abc"}}, "digest"),
        (OCI_INDEX, {"schemaVersion": 2}, "manifests"),
        (OCI_INDEX, {"mediaType": OCI_MANIFEST, "manifests": []}, "says it is"),
        (OCI_INDEX, [1, 2, 3], "not an object"),
    ],
    ids=["schema1", "no-config", "bad-descriptor", "no-manifests", "type-conflict", "array"],
)
def test_malformed_manifest_is_garbage(
    stub_client: RegistryClient,
    stub_server: StubServer,
    media_type: str,
    document: object,
    reason: str,
) -> None:
    body = json.dumps(document).encode()
    stub_server.route(
        "*",
        "/v2/r/manifests/1",
        StubResponse(
            200, {"Content-Type": media_type, "Docker-Content-Digest": sha256_digest(body)}, body
        ),
    )

    with pytest.raises(RegistryGarbage, match=reason):
        stub_client.get_manifest("r", "1")


def test_manifest_served_as_plain_json_uses_its_media_type_field(
    stub_client: RegistryClient, stub_server: StubServer
) -> None:
    body = _image_manifest_bytes()
    stub_server.route(
        "*", "/v2/r/manifests/1", StubResponse(200, {"Content-Type": "application/json"}, body)
    )

    manifest = stub_client.get_manifest("r", "1")

    assert isinstance(manifest, ImageManifest)
    assert manifest.media_type == OCI_MANIFEST
    assert manifest.digest == sha256_digest(body)


# The referrers API, on registries that have it


def test_signature_found_through_the_referrers_api(
    stub_client: RegistryClient, stub_server: StubServer
) -> None:
    subject = sha256_digest(b"subject")
    signature = sha256_digest(b"signature")
    referrers = canonical_json(
        {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {
                    "mediaType": OCI_MANIFEST,
                    "digest": sha256_digest(b"sbom"),
                    "size": 10,
                    "artifactType": "application/spdx+json",
                },
                {
                    "mediaType": OCI_MANIFEST,
                    "digest": signature,
                    "size": 10,
                    "artifactType": "application/vnd.dev.sigstore.bundle.v0.3+json",
                },
            ],
        }
    )
    stub_server.route(
        "GET",
        f"/v2/r/referrers/{subject}",
        StubResponse(200, {"Content-Type": OCI_INDEX}, referrers),
    )

    found = stub_client.signature("r", subject)

    assert found is not None
    assert (found.kind, found.digest) == ("referrer", signature)
    # The cosign signature tag first (absent here), then the referrers API.
    assert [(m, p) for m, p, _ in stub_server.requests] == [
        ("HEAD", f"/v2/r/manifests/{subject.replace(':', '-')}.sig"),
        ("GET", f"/v2/r/referrers/{subject}"),
    ]
    assert stub_client.referrers_supported is True


def _image_manifest_bytes() -> bytes:
    config = sha256_digest(b"config")
    return canonical_json(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": config,
                "size": 6,
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": f"sha256:{hashlib.sha256(b'layer').hexdigest()}",
                    "size": 5,
                }
            ],
        }
    )
