"""The client address of a request, trusting only the configured number of proxies."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The address that connected to the last trusted proxy (or to us, without proxies).

    The sign-in lockout and the API throttles both count this address, so they agree on who
    the client is; X-Forwarded-For is believed only through TRUSTED_PROXY_COUNT proxies.
    """
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        chain = [part.strip() for part in forwarded.split(",") if part.strip()]
        if chain:
            return chain[-min(proxies, len(chain))]
    return remote
