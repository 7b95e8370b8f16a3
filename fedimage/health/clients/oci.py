"""The OCI image format as the registry client reads it: media types, parsed documents, checks.

Pure functions over bytes and JSON; no HTTP. Each parser returns a frozen dataclass or raises
`RegistryGarbage` naming what the document lacks.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fedimage.health.clients.errors import RegistryGarbage

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
INDEX_MEDIA_TYPES = frozenset({OCI_INDEX, DOCKER_MANIFEST_LIST})
IMAGE_MEDIA_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
MANIFEST_MEDIA_TYPES = INDEX_MEDIA_TYPES | IMAGE_MEDIA_TYPES
MANIFEST_ACCEPT = ", ".join((OCI_INDEX, OCI_MANIFEST, DOCKER_MANIFEST_LIST, DOCKER_MANIFEST))

ANNOTATION_BASE_DIGEST = "org.opencontainers.image.base.digest"
ANNOTATION_BASE_NAME = "org.opencontainers.image.base.name"
LABEL_CREATED = "org.opencontainers.image.created"
LABEL_VERSION = "org.opencontainers.image.version"

# Artifact types that mark a referrer as a signature (cosign, sigstore bundles, Notary v2).
SIGNATURE_ARTIFACT_TYPES = frozenset(
    {
        "application/vnd.dev.cosign.artifact.sig.v1+json",
        "application/vnd.dev.sigstore.bundle.v0.3+json",
        "application/vnd.dev.sigstore.bundle+json;version=0.3",
        "application/vnd.cncf.notary.signature",
    }
)

_DIGEST_RE = re.compile(r"^(sha256|sha512):([0-9a-f]+)$")
_DIGEST_HEX_LENGTH = {"sha256": 64, "sha512": 128}
_FRACTION_RE = re.compile(r"(\.\d{6})\d+")


@dataclass(frozen=True)
class ManifestHead:
    digest: str
    media_type: str
    size: int | None


@dataclass(frozen=True)
class Platform:
    os: str
    architecture: str
    variant: str | None = None


@dataclass(frozen=True)
class IndexEntry:
    digest: str
    media_type: str
    size: int | None
    platform: Platform | None
    annotations: Mapping[str, str] = field(default_factory=dict)
    artifact_type: str | None = None

    @property
    def is_attestation(self) -> bool:
        """Tell whether this entry is a build attestation rather than a runnable image."""
        if self.annotations.get("vnd.docker.reference.type") == "attestation-manifest":
            return True
        return self.platform is not None and (
            self.platform.os == "unknown" and self.platform.architecture == "unknown"
        )


@dataclass(frozen=True)
class ManifestIndex:
    """An OCI image index or a Docker manifest list."""

    digest: str
    media_type: str
    manifests: tuple[IndexEntry, ...]
    annotations: Mapping[str, str] = field(default_factory=dict)

    @property
    def images(self) -> tuple[IndexEntry, ...]:
        """The entries that are runnable images (attestations left out)."""
        return tuple(entry for entry in self.manifests if not entry.is_attestation)


@dataclass(frozen=True)
class ImageManifest:
    """A single-platform OCI or Docker image manifest."""

    digest: str
    media_type: str
    config_digest: str
    config_media_type: str
    layers: tuple[str, ...]
    annotations: Mapping[str, str] = field(default_factory=dict)
    artifact_type: str | None = None
    layer_media_types: tuple[str, ...] = ()

    @property
    def base_digest(self) -> str | None:
        return self.annotations.get(ANNOTATION_BASE_DIGEST)

    @property
    def base_name(self) -> str | None:
        return self.annotations.get(ANNOTATION_BASE_NAME)


@dataclass(frozen=True)
class ImageConfig:
    """An image config blob: platform, build time and labels."""

    digest: str
    created: datetime | None
    architecture: str | None
    os: str | None
    variant: str | None
    labels: Mapping[str, str] = field(default_factory=dict)
    # The `created` field as written, kept to say why it was not believed (None: absent).
    created_text: str | None = None


@dataclass(frozen=True)
class SignatureInfo:
    """Evidence that a digest is signed: a referrer artifact or a cosign signature tag."""

    kind: str  # "referrer" or "cosign-tag"
    digest: str
    media_type: str
    artifact_type: str | None = None
    tag: str | None = None


def parse_manifest(
    body: bytes, *, digest: str, media_type: str, what: str, url: str | None
) -> ManifestIndex | ImageManifest:
    """Parse a manifest served with `media_type` ("" or application/json: the body says)."""
    document = parse_json_object(body, what=what, url=url)
    body_type = document.get("mediaType")
    if media_type not in MANIFEST_MEDIA_TYPES:
        if body_type not in MANIFEST_MEDIA_TYPES:
            raise RegistryGarbage(
                f"{what} has unsupported media type {media_type or body_type or '(none)'!r}",
                url=url,
            )
        media_type = body_type
    elif body_type is not None and body_type != media_type:
        raise RegistryGarbage(
            f"{what} is served as {media_type} but says it is {body_type}", url=url
        )
    if media_type in INDEX_MEDIA_TYPES:
        return parse_index(document, digest=digest, media_type=media_type, url=url)
    return parse_image_manifest(document, digest=digest, media_type=media_type, url=url)


def parse_index(
    document: Mapping[str, Any], *, digest: str, media_type: str, url: str | None
) -> ManifestIndex:
    entries = document.get("manifests")
    if not isinstance(entries, list):
        raise RegistryGarbage(f"index {digest} has no 'manifests' list", url=url)
    parsed = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise RegistryGarbage(f"index {digest} has a non-object entry", url=url)
        descriptor = _descriptor(entry, what=f"entry of index {digest}", url=url)
        platform = entry.get("platform")
        if platform is not None:
            if not isinstance(platform, dict):
                raise RegistryGarbage(f"index {digest} has a non-object platform", url=url)
            platform = Platform(
                os=text(platform.get("os") or ""),
                architecture=text(platform.get("architecture") or ""),
                variant=optional_text(platform.get("variant")),
            )
        parsed.append(
            IndexEntry(
                digest=descriptor["digest"],
                media_type=descriptor["mediaType"],
                size=descriptor.get("size"),
                platform=platform,
                annotations=_annotations(entry, url=url),
                artifact_type=optional_text(entry.get("artifactType")),
            )
        )
    return ManifestIndex(
        digest=digest,
        media_type=media_type,
        manifests=tuple(parsed),
        annotations=_annotations(document, url=url),
    )


def parse_image_manifest(
    document: Mapping[str, Any], *, digest: str, media_type: str, url: str | None
) -> ImageManifest:
    config = document.get("config")
    if not isinstance(config, dict):
        raise RegistryGarbage(f"manifest {digest} has no 'config' descriptor", url=url)
    config_descriptor = _descriptor(config, what=f"config of manifest {digest}", url=url)
    layers = document.get("layers")
    if not isinstance(layers, list):
        raise RegistryGarbage(f"manifest {digest} has no 'layers' list", url=url)
    layer_descriptors = [
        _descriptor(layer, what=f"layer of manifest {digest}", url=url) for layer in layers
    ]
    return ImageManifest(
        digest=digest,
        media_type=media_type,
        config_digest=config_descriptor["digest"],
        config_media_type=config_descriptor["mediaType"],
        layers=tuple(layer["digest"] for layer in layer_descriptors),
        layer_media_types=tuple(layer["mediaType"] for layer in layer_descriptors),
        annotations=_annotations(document, url=url),
        artifact_type=optional_text(document.get("artifactType")),
    )


def parse_config(body: bytes, *, digest: str, what: str, url: str | None) -> ImageConfig:
    document = parse_json_object(body, what=what, url=url)
    inner = document.get("config") or {}
    if not isinstance(inner, dict):
        raise RegistryGarbage(f"{what} has a non-object config", url=url)
    labels = inner.get("Labels") or {}
    if not isinstance(labels, dict):
        raise RegistryGarbage(f"{what} has non-object labels", url=url)
    created = document.get("created")
    return ImageConfig(
        digest=digest,
        created=parse_timestamp(created),
        architecture=optional_text(document.get("architecture")),
        os=optional_text(document.get("os")),
        variant=optional_text(document.get("variant")),
        labels={text(k): text(v) for k, v in labels.items()},
        created_text=text(created)[:40] if created is not None else None,
    )


def parse_json_object(body: bytes, *, what: str, url: str | None) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise RegistryGarbage(f"{what} is not valid JSON: {exc}", url=url) from exc
    if not isinstance(document, dict):
        raise RegistryGarbage(f"{what} is JSON but not an object", url=url)
    return document


def _descriptor(value: object, *, what: str, url: str | None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RegistryGarbage(f"{what} is not an object", url=url)
    digest = value.get("digest")
    media_type = value.get("mediaType")
    if not isinstance(digest, str) or not isinstance(media_type, str):
        raise RegistryGarbage(f"{what} lacks a digest or mediaType", url=url)
    check_digest_syntax(digest, url=url)
    return value


def _annotations(document: Mapping[str, Any], *, url: str | None) -> dict[str, str]:
    annotations = document.get("annotations") or {}
    if not isinstance(annotations, dict):
        raise RegistryGarbage("annotations are not an object", url=url)
    return {text(k): text(v) for k, v in annotations.items()}


def is_digest(ref: str) -> bool:
    return ":" in ref


def check_digest_syntax(digest: str, *, url: str | None) -> None:
    match = _DIGEST_RE.match(digest)
    if not match or len(match.group(2)) != _DIGEST_HEX_LENGTH[match.group(1)]:
        raise RegistryGarbage(f"{digest!r} is not a sha256 or sha512 digest", url=url)


def verify_digest(body: bytes, digest: str, *, url: str | None) -> None:
    check_digest_syntax(digest, url=url)
    algorithm, expected = digest.split(":", 1)
    actual = hashlib.new(algorithm, body).hexdigest()
    if actual != expected:
        raise RegistryGarbage(
            f"content digest mismatch: expected {digest}, body hashes to {algorithm}:{actual}",
            url=url,
        )


def sha256(body: bytes) -> str:
    return f"sha256:{hashlib.sha256(body).hexdigest()}"


def text(value: object) -> str:
    """Return `value` as text without NUL characters, which PostgreSQL text and jsonb refuse."""
    return str(value).replace("\x00", "")


def optional_text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    return text(value) or None


def parse_timestamp(value: object) -> datetime | None:
    """Parse an RFC 3339 timestamp; None when absent or unreadable (the field is optional)."""
    if not isinstance(value, str) or not value:
        return None
    stamp = _FRACTION_RE.sub(r"\1", value.strip())  # Go writes nanoseconds; Python keeps micro
    try:
        parsed = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
