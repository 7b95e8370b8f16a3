"""Read-only OCI distribution client for polling image health.

Speaks HTTP only and returns frozen dataclasses; services map them onto models. Every failure is one
of three kinds, so a poller never mistakes a missing tag for an unreachable registry:

- `NotFound`: the registry answered that the tag, digest or repository is not there (`AccessDenied`,
  a subclass, when it refuses anonymous access: registries answer unknown repositories that way);
- `RegistryUnavailable`: network error, timeout, 5xx or 429 (worth retrying later);
- `RegistryGarbage`: the registry answered, but not with what the distribution spec promises.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from fedimage.core.retry_after import parse_retry_after

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

DEFAULT_TOKEN_LIFETIME = 60.0
# Renew a token slightly before the registry would reject it.
TOKEN_EXPIRY_MARGIN = 5.0
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
MAX_CONFIG_BYTES = 16 * 1024 * 1024
MAX_TAG_PAGES = 1000

_DIGEST_RE = re.compile(r"^(sha256|sha512):([0-9a-f]+)$")
_DIGEST_HEX_LENGTH = {"sha256": 64, "sha512": 128}
_CHALLENGE_PARAM_RE = re.compile(r'([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)')
_LINK_RE = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")
_FRACTION_RE = re.compile(r"(\.\d{6})\d+")


class RegistryError(Exception):
    """Base of every error the registry client raises."""

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class NotFound(RegistryError):
    """The registry answered that the tag, digest or repository does not exist."""


class AccessDenied(NotFound):
    """The registry refused anonymous access (it answers this for unknown repositories too)."""


class RegistryUnavailable(RegistryError):
    """The registry could not be reached or asked us to come back later."""

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, url=url)
        self.status = status
        self.retry_after = retry_after


class RegistryGarbage(RegistryError):
    """The registry answered something the distribution spec does not allow."""

    def __init__(self, reason: str, *, url: str | None = None) -> None:
        super().__init__(reason, url=url)
        self.reason = reason


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
    digest: str
    created: datetime | None
    architecture: str | None
    os: str | None
    variant: str | None
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ArchImage:
    """One platform of an image, with what its manifest and config say."""

    architecture: str
    os: str
    variant: str | None
    manifest_digest: str
    config_digest: str
    created: datetime | None
    labels: Mapping[str, str]
    layers: tuple[str, ...]
    base_name: str | None
    base_digest: str | None

    @property
    def version(self) -> str | None:
        return self.labels.get(LABEL_VERSION)


@dataclass(frozen=True)
class ImageInfo:
    """What a tag points at: the top digest and one entry per architecture."""

    repository: str
    tag: str
    digest: str
    media_type: str
    architectures: tuple[ArchImage, ...]
    annotations: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_MEDIA_TYPES

    @property
    def arch_names(self) -> frozenset[str]:
        return frozenset(arch.architecture for arch in self.architectures)

    def arch(self, architecture: str) -> ArchImage | None:
        """Return the entry of one architecture, or None when the image lacks it."""
        return next((a for a in self.architectures if a.architecture == architecture), None)


@dataclass(frozen=True)
class SignatureInfo:
    """Evidence that a digest is signed: a referrer artifact or a cosign signature tag."""

    kind: str  # "referrer" or "cosign-tag"
    digest: str
    media_type: str
    artifact_type: str | None = None
    tag: str | None = None


@dataclass(frozen=True)
class _Challenge:
    scheme: str
    params: Mapping[str, str]


@dataclass
class _CachedToken:
    token: str
    expires_at: float


class RegistryClient:
    """Anonymous, read-only client of one OCI distribution registry."""

    def __init__(
        self,
        host: str,
        *,
        insecure: bool = False,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        http_client: httpx.Client | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.host = host
        self.base_url = f"{'http' if insecure else 'https'}://{host}"
        self.request_count = 0
        self.token_request_count = 0
        self._clock = clock
        self._tokens: dict[tuple[str, str, str], _CachedToken] = {}
        self._owns_client = http_client is None
        self._http = http_client or httpx.Client(
            timeout=timeout,
            transport=transport,
            headers={"User-Agent": "fedimage-health/1"},
        )

    def close(self) -> None:
        if self._owns_client:
            self._http.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def head_manifest(self, repo: str, ref: str) -> ManifestHead:
        """Return the digest a tag or digest resolves to, at the cost of one request."""
        url = self._url(f"/v2/{repo}/manifests/{ref}")
        response = self._request("HEAD", url, repo, accept=MANIFEST_ACCEPT)
        self._raise_for_status(response, what=f"manifest {repo}:{ref}")
        media_type = _media_type(response)
        if media_type not in MANIFEST_MEDIA_TYPES:
            raise RegistryGarbage(
                f"manifest {repo}:{ref} has content type {media_type or '(none)'!r}, "
                "not a manifest media type",
                url=url,
            )
        digest = response.headers.get("Docker-Content-Digest", "")
        if not digest:
            raise RegistryGarbage(
                f"manifest {repo}:{ref} answered without a Docker-Content-Digest header", url=url
            )
        _check_digest_syntax(digest, url=url)
        if _is_digest(ref) and digest != ref:
            raise RegistryGarbage(f"asked for {ref}, registry answered {digest}", url=url)
        size = response.headers.get("Content-Length")
        return ManifestHead(
            digest=digest,
            media_type=media_type,
            size=int(size) if size and size.isdigit() else None,
        )

    def get_manifest(self, repo: str, ref: str) -> ManifestIndex | ImageManifest:
        """Fetch, verify and parse the manifest a tag or digest points at."""
        url = self._url(f"/v2/{repo}/manifests/{ref}")
        response = self._request("GET", url, repo, accept=MANIFEST_ACCEPT)
        self._raise_for_status(response, what=f"manifest {repo}:{ref}")
        body = response.content
        if len(body) > MAX_MANIFEST_BYTES:
            raise RegistryGarbage(f"manifest {repo}:{ref} is {len(body)} bytes", url=url)
        media_type = _media_type(response)
        # Some registries serve manifests as application/json; the body then names its type.
        if media_type not in MANIFEST_MEDIA_TYPES | {"", "application/json"}:
            raise RegistryGarbage(
                f"manifest {repo}:{ref} has unsupported content type {media_type!r}, "
                "not a manifest media type",
                url=url,
            )
        header_digest = response.headers.get("Docker-Content-Digest")
        if header_digest:
            _verify_digest(body, header_digest, url=url)
        if _is_digest(ref):
            _verify_digest(body, ref, url=url)
            if header_digest and header_digest != ref:
                raise RegistryGarbage(
                    f"asked for {ref}, registry answered {header_digest}", url=url
                )
        digest = ref if _is_digest(ref) else header_digest or _sha256(body)
        document = _parse_json_object(body, what=f"manifest {repo}:{ref}", url=url)
        body_type = document.get("mediaType")
        if media_type not in MANIFEST_MEDIA_TYPES:
            if body_type not in MANIFEST_MEDIA_TYPES:
                raise RegistryGarbage(
                    f"manifest {repo}:{ref} has unsupported media type "
                    f"{media_type or body_type or '(none)'!r}",
                    url=url,
                )
            media_type = body_type
        elif body_type is not None and body_type != media_type:
            raise RegistryGarbage(
                f"manifest {repo}:{ref} is served as {media_type} but says it is {body_type}",
                url=url,
            )
        if media_type in INDEX_MEDIA_TYPES:
            return _parse_index(document, digest=digest, media_type=media_type, url=url)
        return _parse_image_manifest(document, digest=digest, media_type=media_type, url=url)

    def get_config(self, repo: str, digest: str) -> ImageConfig:
        """Fetch, verify and parse an image config blob."""
        _check_digest_syntax(digest, url=None)
        url = self._url(f"/v2/{repo}/blobs/{digest}")
        response = self._request("GET", url, repo, follow_redirects=True)
        self._raise_for_status(response, what=f"config blob {repo}@{digest}")
        body = response.content
        if len(body) > MAX_CONFIG_BYTES:
            raise RegistryGarbage(f"config blob {repo}@{digest} is {len(body)} bytes", url=url)
        _verify_digest(body, digest, url=url)
        document = _parse_json_object(body, what=f"config blob {repo}@{digest}", url=url)
        inner = document.get("config") or {}
        if not isinstance(inner, dict):
            raise RegistryGarbage(f"config blob {repo}@{digest} has a non-object config", url=url)
        labels = inner.get("Labels") or {}
        if not isinstance(labels, dict):
            raise RegistryGarbage(f"config blob {repo}@{digest} has non-object labels", url=url)
        return ImageConfig(
            digest=digest,
            created=_parse_created(document.get("created")),
            architecture=_optional_str(document.get("architecture")),
            os=_optional_str(document.get("os")),
            variant=_optional_str(document.get("variant")),
            labels={_text(k): _text(v) for k, v in labels.items()},
        )

    def inspect(self, repo: str, tag: str) -> ImageInfo:
        """Describe every architecture a tag offers, from its manifests and configs."""
        top = self.get_manifest(repo, tag)
        arches: tuple[ArchImage, ...]
        if isinstance(top, ImageManifest):
            arches = (self._arch_image(repo, top, platform=None),)
        else:
            arches = tuple(
                self._arch_image(repo, self._child_manifest(repo, entry), platform=entry.platform)
                for entry in top.manifests
                if not entry.is_attestation
            )
        return ImageInfo(
            repository=repo,
            tag=tag,
            digest=top.digest,
            media_type=top.media_type,
            architectures=arches,
            annotations=top.annotations,
        )

    def signature(self, repo: str, digest: str) -> SignatureInfo | None:
        """Return evidence that a digest is signed, or None when no signature is found."""
        _check_digest_syntax(digest, url=None)
        found = self._signature_from_referrers(repo, digest)
        if found is not None:
            return found
        algorithm, hex_digest = digest.split(":", 1)
        tag = f"{algorithm}-{hex_digest}.sig"
        try:
            head = self.head_manifest(repo, tag)
        except NotFound:
            return None
        return SignatureInfo(
            kind="cosign-tag", digest=head.digest, media_type=head.media_type, tag=tag
        )

    def list_tags(self, repo: str, *, page_size: int | None = None) -> list[str]:
        """Return every tag of a repository, following `Link: rel="next"` pages."""
        url: str | None = self._url(f"/v2/{repo}/tags/list")
        params = {"n": str(page_size)} if page_size else None
        tags: list[str] = []
        for _ in range(MAX_TAG_PAGES):
            if url is None:
                return tags
            response = self._request("GET", url, repo, params=params)
            self._raise_for_status(response, what=f"tags of {repo}")
            document = _parse_json_object(response.content, what=f"tags of {repo}", url=url)
            page = document.get("tags") or []
            if not isinstance(page, list) or not all(isinstance(t, str) for t in page):
                raise RegistryGarbage(f"tags of {repo}: 'tags' is not a list of strings", url=url)
            tags.extend(page)
            url = _next_link(response)
            params = None  # the next link carries its own query
        raise RegistryGarbage(f"tags of {repo}: more than {MAX_TAG_PAGES} pages", url=url)

    def _child_manifest(self, repo: str, entry: IndexEntry) -> ImageManifest:
        child = self.get_manifest(repo, entry.digest)
        if not isinstance(child, ImageManifest):
            raise RegistryGarbage(f"index entry {entry.digest} of {repo} is itself an index")
        return child

    def _arch_image(
        self, repo: str, manifest: ImageManifest, *, platform: Platform | None
    ) -> ArchImage:
        config = self.get_config(repo, manifest.config_digest)
        return ArchImage(
            architecture=(platform.architecture if platform else config.architecture) or "",
            os=(platform.os if platform else config.os) or "",
            variant=platform.variant if platform else config.variant,
            manifest_digest=manifest.digest,
            config_digest=manifest.config_digest,
            created=config.created,
            labels=config.labels,
            layers=manifest.layers,
            base_name=manifest.base_name,
            base_digest=manifest.base_digest,
        )

    def _signature_from_referrers(self, repo: str, digest: str) -> SignatureInfo | None:
        url = self._url(f"/v2/{repo}/referrers/{digest}")
        response = self._request("GET", url, repo, accept=OCI_INDEX)
        # 404 is what registries without the referrers API answer; 400/405 from older ones.
        if response.status_code in (400, 404, 405):
            return None
        self._raise_for_status(response, what=f"referrers of {repo}@{digest}")
        if _media_type(response) != OCI_INDEX:
            return None  # not a referrers API: fall back to the tag schema
        document = _parse_json_object(response.content, what=f"referrers of {digest}", url=url)
        index = _parse_index(
            document, digest=_sha256(response.content), media_type=OCI_INDEX, url=url
        )
        for entry in index.manifests:
            if entry.artifact_type in SIGNATURE_ARTIFACT_TYPES:
                return SignatureInfo(
                    kind="referrer",
                    digest=entry.digest,
                    media_type=entry.media_type,
                    artifact_type=entry.artifact_type,
                )
        return None

    def _url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def _request(
        self,
        method: str,
        url: str,
        repo: str,
        *,
        accept: str | None = None,
        params: Mapping[str, str] | None = None,
        follow_redirects: bool = False,
    ) -> httpx.Response:
        headers = {"Accept": accept} if accept else {}
        scope = f"repository:{repo}:pull"
        cached = self._cached_token_for_scope(scope)
        if cached:
            headers["Authorization"] = f"Bearer {cached}"
        response = self._send(method, url, headers, params, follow_redirects)
        if response.status_code != httpx.codes.UNAUTHORIZED:
            return response
        challenge = _parse_challenge(response.headers.get("WWW-Authenticate", ""))
        if challenge is None or challenge.scheme != "bearer":
            # A Basic challenge asks for credentials we do not have: not anonymous content.
            return response
        token = self._token(challenge, scope, url=url, refresh=cached is not None)
        headers["Authorization"] = f"Bearer {token}"
        return self._send(method, url, headers, params, follow_redirects)

    def _send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        params: Mapping[str, str] | None,
        follow_redirects: bool,
    ) -> httpx.Response:
        self.request_count += 1
        try:
            response = self._http.request(
                method, url, headers=headers, params=params, follow_redirects=follow_redirects
            )
        except httpx.TransportError as exc:
            raise RegistryUnavailable(
                f"{method} {url}: {type(exc).__name__}: {exc}", url=url
            ) from exc
        self.request_count += len(response.history)
        return response

    def _cached_token_for_scope(self, scope: str) -> str | None:
        now = self._clock()
        for (_realm, _service, cached_scope), cached in self._tokens.items():
            if cached_scope == scope and cached.expires_at > now:
                return cached.token
        return None

    def _token(self, challenge: _Challenge, scope: str, *, url: str, refresh: bool) -> str:
        """Return a pull token for the scope; refresh drops one the registry just refused."""
        realm = challenge.params.get("realm")
        if not realm:
            raise RegistryGarbage("Bearer challenge without a realm", url=url)
        service = challenge.params.get("service", "")
        key = (realm, service, scope)
        if refresh:
            self._tokens.pop(key, None)
        cached = self._tokens.get(key)
        now = self._clock()
        if cached and cached.expires_at > now:
            return cached.token
        params = {"scope": scope}
        if service:
            params["service"] = service
        self.token_request_count += 1
        response = self._send("GET", realm, {}, params, follow_redirects=True)
        self._raise_for_status(response, what=f"token for {scope}")
        document = _parse_json_object(response.content, what=f"token for {scope}", url=realm)
        token = document.get("token") or document.get("access_token")
        if not isinstance(token, str) or not token:
            raise RegistryGarbage(f"token answer for {scope} holds no token", url=realm)
        lifetime = document.get("expires_in")
        if not isinstance(lifetime, int | float) or isinstance(lifetime, bool) or lifetime <= 0:
            lifetime = DEFAULT_TOKEN_LIFETIME
        margin = min(TOKEN_EXPIRY_MARGIN, lifetime / 2)
        self._tokens[key] = _CachedToken(token=token, expires_at=now + lifetime - margin)
        return token

    @staticmethod
    def _raise_for_status(response: httpx.Response, *, what: str) -> None:
        status = response.status_code
        url = str(response.request.url)
        if 200 <= status < 300:
            return
        if status == httpx.codes.NOT_FOUND:
            raise NotFound(f"{what} not found ({_error_codes(response)})", url=url)
        if status in (httpx.codes.UNAUTHORIZED, httpx.codes.FORBIDDEN):
            raise AccessDenied(
                f"{what}: access denied, HTTP {status} ({_error_codes(response)})", url=url
            )
        if status == httpx.codes.TOO_MANY_REQUESTS or status >= 500:
            raise RegistryUnavailable(
                f"{what}: HTTP {status}",
                url=url,
                status=status,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        raise RegistryGarbage(f"{what}: unexpected HTTP {status}", url=url)


def _parse_index(
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
                os=_text(platform.get("os") or ""),
                architecture=_text(platform.get("architecture") or ""),
                variant=_optional_str(platform.get("variant")),
            )
        parsed.append(
            IndexEntry(
                digest=descriptor["digest"],
                media_type=descriptor["mediaType"],
                size=descriptor.get("size"),
                platform=platform,
                annotations=_annotations(entry, url=url),
                artifact_type=_optional_str(entry.get("artifactType")),
            )
        )
    return ManifestIndex(
        digest=digest,
        media_type=media_type,
        manifests=tuple(parsed),
        annotations=_annotations(document, url=url),
    )


def _parse_image_manifest(
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
        artifact_type=_optional_str(document.get("artifactType")),
    )


def _descriptor(value: object, *, what: str, url: str | None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RegistryGarbage(f"{what} is not an object", url=url)
    digest = value.get("digest")
    media_type = value.get("mediaType")
    if not isinstance(digest, str) or not isinstance(media_type, str):
        raise RegistryGarbage(f"{what} lacks a digest or mediaType", url=url)
    _check_digest_syntax(digest, url=url)
    return value


def _annotations(document: Mapping[str, Any], *, url: str | None) -> dict[str, str]:
    annotations = document.get("annotations") or {}
    if not isinstance(annotations, dict):
        raise RegistryGarbage("annotations are not an object", url=url)
    return {_text(k): _text(v) for k, v in annotations.items()}


def _parse_json_object(body: bytes, *, what: str, url: str | None) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise RegistryGarbage(f"{what} is not valid JSON: {exc}", url=url) from exc
    if not isinstance(document, dict):
        raise RegistryGarbage(f"{what} is JSON but not an object", url=url)
    return document


def _media_type(response: httpx.Response) -> str:
    content_type: str = response.headers.get("Content-Type", "")
    return content_type.split(";", 1)[0].strip().lower()


def _is_digest(ref: str) -> bool:
    return ":" in ref


def _check_digest_syntax(digest: str, *, url: str | None) -> None:
    match = _DIGEST_RE.match(digest)
    if not match or len(match.group(2)) != _DIGEST_HEX_LENGTH[match.group(1)]:
        raise RegistryGarbage(f"{digest!r} is not a sha256 or sha512 digest", url=url)


def _verify_digest(body: bytes, digest: str, *, url: str | None) -> None:
    _check_digest_syntax(digest, url=url)
    algorithm, expected = digest.split(":", 1)
    actual = hashlib.new(algorithm, body).hexdigest()
    if actual != expected:
        raise RegistryGarbage(
            f"content digest mismatch: expected {digest}, body hashes to {algorithm}:{actual}",
            url=url,
        )


def _sha256(body: bytes) -> str:
    return f"sha256:{hashlib.sha256(body).hexdigest()}"


def _text(value: object) -> str:
    """Return `value` as text without NUL characters, which PostgreSQL text and jsonb refuse."""
    return str(value).replace("\x00", "")


def _optional_str(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    return _text(value) or None


def _parse_created(value: object) -> datetime | None:
    """Parse an RFC 3339 timestamp; None when absent or unreadable (the field is optional)."""
    if not isinstance(value, str) or not value:
        return None
    text = _FRACTION_RE.sub(r"\1", value.strip())  # Go writes nanoseconds; Python keeps micro
    try:
        created = datetime.fromisoformat(text)
    except ValueError:
        return None
    return created if created.tzinfo else created.replace(tzinfo=UTC)


def _error_codes(response: httpx.Response) -> str:
    """Return the distribution error codes of an answer, e.g. MANIFEST_UNKNOWN."""
    try:
        errors = response.json().get("errors") or []
        codes = [_text(error.get("code")) for error in errors if isinstance(error, dict)]
    except (ValueError, AttributeError):
        codes = []
    return ", ".join(codes) or f"HTTP {response.status_code}"


def _parse_challenge(header: str) -> _Challenge | None:
    scheme, _, rest = header.strip().partition(" ")
    if not scheme:
        return None
    params = {}
    for name, raw in _CHALLENGE_PARAM_RE.findall(rest):
        value = raw[1:-1].replace('\\"', '"') if raw.startswith('"') else raw
        params[name.lower()] = value
    return _Challenge(scheme=scheme.lower(), params=params)


def _next_link(response: httpx.Response) -> str | None:
    for target, params in _iter_links(response.headers.get_list("Link")):
        if re.search(r'rel\s*=\s*"?next"?', params):
            return str(response.request.url.join(target))
    return None


def _iter_links(headers: list[str]) -> Iterator[tuple[str, str]]:
    for header in headers:
        for match in _LINK_RE.finditer(header):
            yield match.group(1), match.group(2)
