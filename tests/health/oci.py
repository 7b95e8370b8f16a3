"""Build test images and push them through a registry's upload API.

Everything goes over the wire as a real client would send it (`POST /v2/<name>/blobs/uploads/`,
`PUT <Location>&digest=`, `PUT /v2/<name>/manifests/<ref>`), so the registry stores exactly what it
would after a `skopeo copy`. Layers are random bytes: the registry does not look inside them.

    pusher = OciPusher(httpx.Client(base_url=registry.url))
    index = pusher.push_index("fedora/fedora-bootc", "44", [
        pusher.push_image("fedora/fedora-bootc", architecture="amd64", version="44.20260501.0"),
        pusher.push_image("fedora/fedora-bootc", architecture="arm64", version="44.20260501.0"),
    ])
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from fedimage.health.clients.oci import ImageManifest
from tests.health.registry_server import StubResponse, StubServer

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
COSIGN_SIGNATURE_LAYER = "application/vnd.dev.cosign.simplesigning.v1+json"
IN_TOTO_LAYER = "application/vnd.in-toto+json"

TWO_ARCHES = ("amd64", "arm64")
BOOTC_LABELS = {"containers.bootc": "1", "ostree.bootable": "true"}
DEFAULT_CREATED = "2026-05-01T04:12:33.123456789Z"


def iso(moment: datetime) -> str:
    """Write a time the way build tools write config.created (RFC 3339, UTC)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sha256_digest(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def random_layer(size: int = 512) -> bytes:
    """Return unique bytes to use as a layer blob."""
    return os.urandom(size)


def canonical_json(document: Mapping) -> bytes:
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


@dataclass(frozen=True)
class PushedImage:
    """A single-platform manifest stored in the registry (pushed by digest, tagged if asked)."""

    repo: str
    digest: str
    media_type: str
    manifest: bytes
    config_digest: str
    layers: tuple[str, ...]
    architecture: str
    os: str
    variant: str | None
    created: str | None
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.manifest)

    def descriptor(self, *, annotations: Mapping[str, str] | None = None) -> dict:
        """Return this image as an index entry with its platform."""
        platform = {"architecture": self.architecture, "os": self.os}
        if self.variant:
            platform["variant"] = self.variant
        entry: dict = {
            "mediaType": self.media_type,
            "digest": self.digest,
            "size": self.size,
            "platform": platform,
        }
        if annotations:
            entry["annotations"] = dict(annotations)
        return entry


@dataclass(frozen=True)
class PushedIndex:
    """An OCI index or Docker manifest list stored in the registry."""

    repo: str
    digest: str
    media_type: str
    manifest: bytes
    images: tuple[PushedImage, ...]

    def image(self, architecture: str) -> PushedImage:
        return next(image for image in self.images if image.architecture == architecture)


class OciPusher:
    """Push blobs, manifests and whole test images through an httpx client at a registry."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def push_blob(self, repo: str, data: bytes) -> str:
        """Upload a blob with a monolithic POST-then-PUT and return its digest."""
        digest = sha256_digest(data)
        started = self.client.post(f"/v2/{repo}/blobs/uploads/")
        _expect(started, 202)
        location = started.headers["Location"]
        separator = "&" if "?" in location else "?"
        finished = self.client.put(
            f"{location}{separator}digest={digest}",
            content=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        _expect(finished, 201)
        return digest

    def push_manifest(self, repo: str, ref: str, manifest: bytes, media_type: str) -> str:
        """Store a manifest under a tag or its digest and return the digest."""
        response = self.client.put(
            f"/v2/{repo}/manifests/{ref}", content=manifest, headers={"Content-Type": media_type}
        )
        _expect(response, 201)
        digest = sha256_digest(manifest)
        assert response.headers.get("Docker-Content-Digest") == digest
        return digest

    def tag(self, repo: str, tag: str, pushed: PushedImage | PushedIndex) -> None:
        """Point a tag at an already pushed manifest."""
        self.push_manifest(repo, tag, pushed.manifest, pushed.media_type)

    def delete_manifest(self, repo: str, digest: str) -> None:
        _expect(self.client.delete(f"/v2/{repo}/manifests/{digest}"), 202)

    def push_image(
        self,
        repo: str,
        tag: str | None = None,
        *,
        architecture: str = "amd64",
        os: str = "linux",
        variant: str | None = None,
        created: str | None = DEFAULT_CREATED,
        labels: Mapping[str, str] | None = None,
        version: str | None = None,
        layers: Sequence[bytes] | None = None,
        base: PushedImage | None = None,
        base_name: str | None = None,
        annotations: Mapping[str, str] | None = None,
        docker: bool = False,
        layer_media_type: str | None = None,
    ) -> PushedImage:
        """Push a config, its layers and a single-platform manifest.

        With `base`, the image's layers begin with the base's layers (what `FROM base` produces)
        and, unless `docker`, the manifest carries the OCI base annotations.
        """
        labels = dict(BOOTC_LABELS if labels is None else labels)
        if version is not None:
            labels["org.opencontainers.image.version"] = version
        own_layers = list(layers) if layers is not None else [random_layer(), random_layer()]
        own_digests = [self.push_blob(repo, layer) for layer in own_layers]
        layer_digests = [*(base.layers if base else ()), *own_digests]
        if base and base.repo != repo:
            for digest in base.layers:
                self._mount(repo, digest, base.repo)
        config: dict = {
            "architecture": architecture,
            "os": os,
            "config": {"Labels": labels},
            "rootfs": {"type": "layers", "diff_ids": [_fake_diff_id(d) for d in layer_digests]},
        }
        if created is not None:
            config["created"] = created
        if variant:
            config["variant"] = variant
        config_bytes = canonical_json(config)
        config_digest = self.push_blob(repo, config_bytes)
        layer_sizes = {d: len(b) for d, b in zip(own_digests, own_layers, strict=True)}
        media_type = DOCKER_MANIFEST if docker else OCI_MANIFEST
        layer_type = layer_media_type or (DOCKER_LAYER if docker else OCI_LAYER)
        manifest: dict = {
            "schemaVersion": 2,
            "mediaType": media_type,
            "config": {
                "mediaType": DOCKER_CONFIG if docker else OCI_CONFIG,
                "digest": config_digest,
                "size": len(config_bytes),
            },
            "layers": [
                {"mediaType": layer_type, "digest": d, "size": layer_sizes.get(d, 512)}
                for d in layer_digests
            ],
        }
        manifest_annotations = dict(annotations or {})
        if base and not docker:
            manifest_annotations.setdefault("org.opencontainers.image.base.digest", base.digest)
            manifest_annotations.setdefault(
                "org.opencontainers.image.base.name", base_name or f"{base.repo}:latest"
            )
        if manifest_annotations:
            manifest["annotations"] = manifest_annotations
        manifest_bytes = canonical_json(manifest)
        digest = sha256_digest(manifest_bytes)
        self.push_manifest(repo, tag or digest, manifest_bytes, media_type)
        return PushedImage(
            repo=repo,
            digest=digest,
            media_type=media_type,
            manifest=manifest_bytes,
            config_digest=config_digest,
            layers=tuple(layer_digests),
            architecture=architecture,
            os=os,
            variant=variant,
            created=created,
            labels=labels,
        )

    def push_index(
        self,
        repo: str,
        tag: str,
        images: Sequence[PushedImage],
        *,
        docker: bool = False,
        attestation: bool = False,
        annotations: Mapping[str, str] | None = None,
    ) -> PushedIndex:
        """Push an OCI index (or a Docker manifest list) over already pushed images.

        With `attestation`, add a BuildKit-style "unknown/unknown" attestation entry per image.
        """
        entries = [image.descriptor() for image in images]
        if attestation:
            for image in images:
                statement = self.push_image(
                    repo,
                    architecture="unknown",
                    os="unknown",
                    labels={},
                    created=None,
                    layers=[canonical_json({"_type": "https://in-toto.io/Statement/v0.1"})],
                    layer_media_type=IN_TOTO_LAYER,
                )
                entries.append(
                    statement.descriptor(
                        annotations={
                            "vnd.docker.reference.digest": image.digest,
                            "vnd.docker.reference.type": "attestation-manifest",
                        }
                    )
                )
        media_type = DOCKER_MANIFEST_LIST if docker else OCI_INDEX
        index: dict = {"schemaVersion": 2, "mediaType": media_type, "manifests": entries}
        if annotations:
            index["annotations"] = dict(annotations)
        index_bytes = canonical_json(index)
        digest = self.push_manifest(repo, tag, index_bytes, media_type)
        return PushedIndex(
            repo=repo,
            digest=digest,
            media_type=media_type,
            manifest=index_bytes,
            images=tuple(images),
        )

    def push_multiarch(
        self,
        repo: str,
        tag: str,
        *,
        architectures: Sequence[str] = ("amd64", "arm64", "ppc64le", "s390x"),
        version: str | None = "44.20260501.0",
        created: str | None = DEFAULT_CREATED,
        docker: bool = False,
        attestation: bool = False,
        base: PushedIndex | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> PushedIndex:
        """Push one image per architecture and an index over them, like a bootc build."""
        images = [
            self.push_image(
                repo,
                architecture=arch,
                variant="v8" if arch == "arm64" else None,
                version=version,
                created=created,
                labels={**BOOTC_LABELS, **(labels or {})},
                docker=docker,
                base=base.image(arch) if base else None,
                base_name=f"{base.repo}:latest" if base else None,
            )
            for arch in architectures
        ]
        return self.push_index(repo, tag, images, docker=docker, attestation=attestation)

    def push_cosign_signature(self, repo: str, subject: str) -> PushedImage:
        """Push what `cosign sign` stores: a manifest tagged `sha256-<hex>.sig`."""
        payload = canonical_json(
            {
                "critical": {
                    "identity": {"docker-reference": repo},
                    "image": {"docker-manifest-digest": subject},
                    "type": "cosign container image signature",
                },
                "optional": None,
            }
        )
        algorithm, hex_digest = subject.split(":", 1)
        return self.push_image(
            repo,
            f"{algorithm}-{hex_digest}.sig",
            architecture="",
            os="",
            labels={},
            created=None,
            layers=[payload],
            layer_media_type=COSIGN_SIGNATURE_LAYER,
        )

    def _mount(self, repo: str, digest: str, source: str) -> None:
        response = self.client.post(
            f"/v2/{repo}/blobs/uploads/", params={"mount": digest, "from": source}
        )
        _expect(response, 201)


def _fake_diff_id(digest: str) -> str:
    # Layers are not real tarballs, so an uncompressed diff id cannot be computed; derive one.
    return sha256_digest(digest.encode())


def _expect(response: httpx.Response, status: int) -> None:
    if response.status_code != status:
        raise AssertionError(
            f"{response.request.method} {response.request.url} answered "
            f"{response.status_code}, expected {status}: {response.text[:500]}"
        )


class BearerAuth(httpx.Auth):
    """Answer a registry's Bearer challenge with a token for the scope it names (push helpers)."""

    requires_request_body = True

    def __init__(self) -> None:
        self._tokens: dict[str, str] = {}

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        match = re.match(r"^/v2/(.+?)/(?:blobs|manifests|tags|referrers)/", request.url.path)
        scope_key = match.group(1) if match else request.url.path
        if scope_key in self._tokens:
            request.headers["Authorization"] = f"Bearer {self._tokens[scope_key]}"
        response = yield request
        if response.status_code != 401:
            return
        challenge = response.headers.get("WWW-Authenticate", "")
        params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
        token_response = yield httpx.Request(
            "GET", params["realm"], params={"service": params["service"], "scope": params["scope"]}
        )
        token_response.read()
        token = token_response.json()["token"]
        self._tokens[scope_key] = token
        request.headers["Authorization"] = f"Bearer {token}"
        yield request


@dataclass(frozen=True)
class ArchRead:
    """One platform of a tag, as a test reads it through the client's public calls."""

    architecture: str
    os: str
    variant: str | None
    manifest_digest: str
    config_digest: str
    created: object
    version: str | None
    labels: Mapping[str, str]
    layers: tuple[str, ...]
    base_name: str | None
    base_digest: str | None


@dataclass(frozen=True)
class TagRead:
    digest: str
    media_type: str
    architectures: tuple[ArchRead, ...]

    @property
    def is_index(self) -> bool:
        return self.media_type in (OCI_INDEX, DOCKER_MANIFEST_LIST)

    @property
    def arch_names(self) -> set[str]:
        return {arch.architecture for arch in self.architectures}

    def arch(self, name: str) -> ArchRead | None:
        return next((a for a in self.architectures if a.architecture == name), None)


def read_tag(client, repo: str, tag: str) -> TagRead:
    """Read every platform of a tag with the client's calls: manifest, platform manifests, configs.

    What services do, without their cache, for tests of the client's answers.
    """
    top = client.get_manifest(repo, tag)
    entries = (
        [(top, None)]
        if isinstance(top, ImageManifest)
        else [(client.get_manifest(repo, entry.digest), entry.platform) for entry in top.images]
    )
    arches = []
    for manifest, platform in entries:
        config = client.get_config(repo, manifest.config_digest)
        arches.append(
            ArchRead(
                architecture=platform.architecture if platform else config.architecture,
                os=platform.os if platform else config.os,
                variant=platform.variant if platform else config.variant,
                manifest_digest=manifest.digest,
                config_digest=manifest.config_digest,
                created=config.created,
                version=config.labels.get("org.opencontainers.image.version"),
                labels=config.labels,
                layers=manifest.layers,
                base_name=manifest.base_name,
                base_digest=manifest.base_digest,
            )
        )
    return TagRead(digest=top.digest, media_type=top.media_type, architectures=tuple(arches))


def stub_single_arch(stub: StubServer, repo: str, tag: str, created: datetime) -> None:
    """Route a single-architecture image with its config on a StubServer."""
    config = canonical_json(
        {"architecture": "amd64", "os": "linux", "created": iso(created), "config": {}}
    )
    config_digest = sha256_digest(config)
    manifest = canonical_json(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": len(config)},
            "layers": [],
        }
    )
    headers = {"Content-Type": OCI_MANIFEST, "Docker-Content-Digest": sha256_digest(manifest)}
    stub.route("*", f"/v2/{repo}/manifests/{tag}", StubResponse(200, headers, manifest))
    stub.route("*", f"/v2/{repo}/blobs/{config_digest}", StubResponse(200, {}, config))
