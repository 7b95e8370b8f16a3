"""Containers' "simple signing" (GPG) signatures, served by a lookaside web server.

The layout is containers-image's: `<lookaside>/<repository>@<algorithm>=<hex>/signature-1`
(then -2, ...). Fedora signs CoreOS this way rather than with cosign. Only the presence of a
signature is checked here, not its GPG validity (that needs the keyring of whoever pulls).
"""

from __future__ import annotations

import httpx

from fedimage.health.clients.errors import RegistryUnavailable
from fedimage.health.clients.oci import SignatureInfo


def signature_url(lookaside: str, repository: str, digest: str) -> str:
    algorithm, hex_digest = digest.split(":", 1)
    return f"{lookaside.rstrip('/')}/{repository}@{algorithm}={hex_digest}/signature-1"


def simple_signature(
    lookaside: str, repository: str, digest: str, *, timeout: float = 15.0
) -> SignatureInfo | None:
    """The first simple signature of `digest` on the lookaside, or None if there is none."""
    url = signature_url(lookaside, repository, digest)
    try:
        response = httpx.get(url, timeout=timeout, follow_redirects=True)
    except httpx.HTTPError as exc:
        raise RegistryUnavailable(f"lookaside {lookaside}: {exc}", url=url) from exc
    if response.status_code in (403, 404):
        return None
    if response.status_code != 200 or not response.content:
        raise RegistryUnavailable(
            f"lookaside {lookaside} answered {response.status_code}",
            url=url,
            status=response.status_code,
        )
    return SignatureInfo(
        kind="simple-signing", digest=digest, media_type="application/pgp-signature"
    )
