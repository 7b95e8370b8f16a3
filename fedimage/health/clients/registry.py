"""Read-only client of one OCI distribution registry, for polling image health.

Speaks HTTP only and returns the frozen dataclasses of `oci`; services map them onto models.
Failures are the three kinds of `errors`. Safe to share between threads: a poll sends its
requests together, and the keep-alive connections of one registry are shared by every client of
it in the process (`shared_http_client`), which also bounds how many are in flight at once.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
from collections.abc import Callable, Mapping

import httpx

from fedimage.core.retry_after import parse_retry_after
from fedimage.health.clients.auth import (
    DEFAULT_TOKEN_LIFETIME,
    REGISTRY_FACT_LIFETIME,
    Challenge,
    LocalMemory,
    Memory,
    TokenBook,
    parse_challenge,
)
from fedimage.health.clients.errors import (
    AccessDenied,
    NotFound,
    RegistryGarbage,
    RegistryUnavailable,
)
from fedimage.health.clients.oci import (
    MANIFEST_ACCEPT,
    MANIFEST_MEDIA_TYPES,
    OCI_INDEX,
    SIGNATURE_ARTIFACT_TYPES,
    ImageConfig,
    ImageManifest,
    ManifestHead,
    ManifestIndex,
    SignatureInfo,
    check_digest_syntax,
    is_digest,
    parse_config,
    parse_index,
    parse_json_object,
    parse_manifest,
    sha256,
    text,
    verify_digest,
)

MAX_MANIFEST_BYTES = 4 * 1024 * 1024
MAX_CONFIG_BYTES = 16 * 1024 * 1024
USER_AGENT = "fedimage-health/1"

_pools: dict[tuple[str, int], httpx.Client] = {}
_pools_lock = threading.Lock()


def shared_http_client(base_url: str, *, connections: int, timeout: float) -> httpx.Client:
    """Return this process's keep-alive pool for a registry (at most `connections` at once).

    A request waits for a free connection rather than opening another, which bounds the
    requests in flight per registry. Pools are per process: a forked worker opens its own.
    """
    key = (base_url, os.getpid())
    with _pools_lock:
        client = _pools.get(key)
        if client is None:
            client = httpx.Client(
                timeout=httpx.Timeout(timeout, pool=None),
                limits=httpx.Limits(
                    max_connections=connections, max_keepalive_connections=connections
                ),
                headers={"User-Agent": USER_AGENT},
            )
            _pools[key] = client
        return client


def close_shared_http_clients() -> None:
    """Close every keep-alive pool this process opened (at exit, and between tests)."""
    with _pools_lock:
        clients = list(_pools.values())
        _pools.clear()
    for client in clients:
        client.close()


atexit.register(close_shared_http_clients)


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
        memory: Memory | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.host = host
        self.base_url = f"{'http' if insecure else 'https'}://{host}"
        self.request_count = 0
        self.token_request_count = 0
        self._count_lock = threading.Lock()
        self._clock = clock
        self.memory = memory or LocalMemory()
        self._tokens = TokenBook(host, self.memory)
        self._owns_client = http_client is None
        self._http = http_client or httpx.Client(
            timeout=timeout, transport=transport, headers={"User-Agent": USER_AGENT}
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
        check_digest_syntax(digest, url=url)
        if is_digest(ref) and digest != ref:
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
        what = f"manifest {repo}:{ref}"
        response = self._request("GET", url, repo, accept=MANIFEST_ACCEPT)
        self._raise_for_status(response, what=what)
        body = response.content
        if len(body) > MAX_MANIFEST_BYTES:
            raise RegistryGarbage(f"{what} is {len(body)} bytes", url=url)
        media_type = _media_type(response)
        # Some registries serve manifests as application/json; the body then names its type.
        if media_type not in MANIFEST_MEDIA_TYPES | {"", "application/json"}:
            raise RegistryGarbage(
                f"{what} has unsupported content type {media_type!r}, not a manifest media type",
                url=url,
            )
        header_digest = response.headers.get("Docker-Content-Digest")
        if header_digest:
            verify_digest(body, header_digest, url=url)
        if is_digest(ref):
            verify_digest(body, ref, url=url)
            if header_digest and header_digest != ref:
                raise RegistryGarbage(
                    f"asked for {ref}, registry answered {header_digest}", url=url
                )
        digest = ref if is_digest(ref) else header_digest or sha256(body)
        return parse_manifest(body, digest=digest, media_type=media_type, what=what, url=url)

    def get_config(self, repo: str, digest: str) -> ImageConfig:
        """Fetch, verify and parse an image config blob."""
        check_digest_syntax(digest, url=None)
        url = self._url(f"/v2/{repo}/blobs/{digest}")
        what = f"config blob {repo}@{digest}"
        response = self._request("GET", url, repo, follow_redirects=True)
        self._raise_for_status(response, what=what)
        body = response.content
        if len(body) > MAX_CONFIG_BYTES:
            raise RegistryGarbage(f"{what} is {len(body)} bytes", url=url)
        verify_digest(body, digest, url=url)
        return parse_config(body, digest=digest, what=what, url=url)

    def signature(self, repo: str, digest: str) -> SignatureInfo | None:
        """Return evidence that a digest is signed, or None when no signature is found.

        Cosign's signature tag first (one HEAD: what most images use); then the referrers API,
        unless this registry is remembered not to have it (learned from its first answer).
        """
        check_digest_syntax(digest, url=None)
        algorithm, hex_digest = digest.split(":", 1)
        tag = f"{algorithm}-{hex_digest}.sig"
        try:
            head = self.head_manifest(repo, tag)
        except NotFound:
            pass
        else:
            return SignatureInfo(
                kind="cosign-tag", digest=head.digest, media_type=head.media_type, tag=tag
            )
        if self.memory.get(self._referrers_key) == "no":
            return None
        return self._signature_from_referrers(repo, digest)

    @property
    def referrers_supported(self) -> bool | None:
        """Whether this registry has the OCI referrers API (None: not asked yet)."""
        return {"yes": True, "no": False}.get(self.memory.get(self._referrers_key) or "")

    @property
    def _referrers_key(self) -> str:
        return f"referrers:{self.host}"

    def _signature_from_referrers(self, repo: str, digest: str) -> SignatureInfo | None:
        url = self._url(f"/v2/{repo}/referrers/{digest}")
        response = self._request("GET", url, repo, accept=OCI_INDEX)
        # A registry with the API never answers 404 (the spec forbids it): 404 is what
        # registries without it answer; 400/405 from older ones.
        if response.status_code in (400, 404, 405):
            self.memory.set(self._referrers_key, "no", ttl=REGISTRY_FACT_LIFETIME)
            return None
        self._raise_for_status(response, what=f"referrers of {repo}@{digest}")
        if _media_type(response) != OCI_INDEX:
            self.memory.set(self._referrers_key, "no", ttl=REGISTRY_FACT_LIFETIME)
            return None
        self.memory.set(self._referrers_key, "yes", ttl=REGISTRY_FACT_LIFETIME)
        document = parse_json_object(response.content, what=f"referrers of {digest}", url=url)
        index = parse_index(
            document, digest=sha256(response.content), media_type=OCI_INDEX, url=url
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
        follow_redirects: bool = False,
    ) -> httpx.Response:
        headers = {"Accept": accept} if accept else {}
        scope = f"repository:{repo}:pull"
        token_value: str | None = None
        # A registry never known to want tokens (no realm remembered) holds none of ours: its
        # requests go out anonymously, with no look-up; a 401 teaches the realm.
        if (known := self._tokens.realm()) is not None:
            token = self._tokens.valid(scope, self._clock())
            # This registry wants tokens: ask for one now rather than after a refusal.
            token_value = token.value if token else self._token(known, scope, url=url, refused=None)
        if token_value:
            headers["Authorization"] = f"Bearer {token_value}"
        response = self._send(method, url, headers, follow_redirects)
        if response.status_code != httpx.codes.UNAUTHORIZED:
            return response
        challenge = parse_challenge(response.headers.get("WWW-Authenticate", ""))
        if challenge is None or challenge.scheme != "bearer":
            # A Basic challenge asks for credentials we do not have: not anonymous content.
            return response
        self._tokens.remember_realm(challenge)
        headers["Authorization"] = (
            f"Bearer {self._token(challenge, scope, url=url, refused=token_value)}"
        )
        return self._send(method, url, headers, follow_redirects)

    def _send(
        self, method: str, url: str, headers: Mapping[str, str], follow_redirects: bool
    ) -> httpx.Response:
        try:
            response = self._http.request(
                method, url, headers=headers, follow_redirects=follow_redirects
            )
        except httpx.TransportError as exc:
            self._count(1)
            raise RegistryUnavailable(
                f"{method} {url}: {type(exc).__name__}: {exc}", url=url
            ) from exc
        self._count(1 + len(response.history))
        return response

    def _count(self, requests: int, *, tokens: int = 0) -> None:
        with self._count_lock:
            self.request_count += requests
            self.token_request_count += tokens

    def _token(self, challenge: Challenge, scope: str, *, url: str, refused: str | None) -> str:
        """Return a pull token for the scope; `refused` is one the registry just turned down."""
        realm = challenge.params.get("realm")
        if not realm:
            raise RegistryGarbage("Bearer challenge without a realm", url=url)
        with self._tokens.scope_lock(scope):
            cached = self._tokens.valid(scope, self._clock())
            if cached is not None and cached.value != refused:
                return cached.value  # another thread fetched it meanwhile
            if refused is not None:
                self._tokens.forget(scope)
            params = {"scope": scope}
            service = challenge.params.get("service", "")
            if service:
                params["service"] = service
            self._count(0, tokens=1)
            try:
                response = self._http.get(realm, params=params, follow_redirects=True)
            except httpx.TransportError as exc:
                self._count(1)
                raise RegistryUnavailable(
                    f"GET {realm}: {type(exc).__name__}: {exc}", url=realm
                ) from exc
            self._count(1 + len(response.history))
            self._raise_for_status(response, what=f"token for {scope}")
            document = parse_json_object(response.content, what=f"token for {scope}", url=realm)
            token = document.get("token") or document.get("access_token")
            if not isinstance(token, str) or not token:
                raise RegistryGarbage(f"token answer for {scope} holds no token", url=realm)
            lifetime = document.get("expires_in")
            if not isinstance(lifetime, int | float) or isinstance(lifetime, bool) or lifetime <= 0:
                lifetime = DEFAULT_TOKEN_LIFETIME
            return self._tokens.keep(scope, token, float(lifetime), self._clock()).value

    @staticmethod
    def _raise_for_status(response: httpx.Response, *, what: str) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        url = str(response.request.url)
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


def _media_type(response: httpx.Response) -> str:
    content_type: str = response.headers.get("Content-Type", "")
    return content_type.split(";", 1)[0].strip().lower()


def _error_codes(response: httpx.Response) -> str:
    """Return the distribution error codes of an answer, e.g. MANIFEST_UNKNOWN."""
    try:
        errors = response.json().get("errors") or []
        codes = [text(error.get("code")) for error in errors if isinstance(error, dict)]
    except (ValueError, AttributeError):
        codes = []
    return ", ".join(codes) or f"HTTP {response.status_code}"
