"""The httpx plumbing the GitHub and Forgejo clients share: budget, limits, error mapping.

One request per call: no retry and no sleep here. A 5xx or a network error raises
TrackerUnavailable, a rate limit RateLimited with the tracker's wait; what to do about either is
the caller's decision (see trackers.sync).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Self

import httpx

from fedimage.core.retry_after import parse_retry_after
from trackers.clients.base import (
    RateBudget,
    RateLimited,
    TrackerAuthError,
    TrackerError,
    TrackerGarbage,
    TrackerNotFound,
    TrackerUnavailable,
)

DEFAULT_RATE_LIMIT_WAIT = 60.0


@dataclass(frozen=True, slots=True)
class Limits:
    """What one answer said about the rate limit."""

    resource: str
    remaining: int | None
    reset_at: datetime | None
    # Set when the answer is a refusal for rate limiting: the seconds to wait.
    refused_for: float | None = None


LimitReader = Callable[[httpx.Response, str], Limits]


def wait_for(limits_reset: datetime | None, retry_after: str | None) -> float:
    """Seconds to wait after a refusal: Retry-After, else until the reset, else a minute."""
    now = datetime.now(UTC)
    seconds = parse_retry_after(retry_after, now=now)
    if seconds is not None:
        return seconds
    if limits_reset is not None:
        return max(1.0, (limits_reset - now).total_seconds())
    return DEFAULT_RATE_LIMIT_WAIT


class JsonHttp:
    """GET JSON from one API through the shared rate budget; map every failure to TrackerError."""

    def __init__(
        self,
        *,
        base_url: str,
        headers: Mapping[str, str],
        timeout: float,
        limits: LimitReader,
        budget: RateBudget,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.limits = limits
        self.budget = budget
        self.requests_made = 0
        self.last_limits: Limits | None = None
        self._client = httpx.Client(
            base_url=base_url,
            headers=dict(headers),
            timeout=timeout,
            follow_redirects=True,
            transport=transport,
        )

    def close(self) -> None:
        self._client.close()

    def get(
        self,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        resource: str = "core",
        what: str = "",
    ) -> httpx.Response:
        """GET `url`; return a 2xx or 304 response, or raise."""
        self.budget.acquire(resource)
        self.requests_made += 1
        try:
            response = self._client.get(url, params=params, headers=headers)
        except httpx.TransportError as exc:
            path = httpx.URL(url).path
            raise TrackerUnavailable(f"GET {path}: {type(exc).__name__}: {exc}") from exc
        limits = self.last_limits = self.limits(response, resource)
        self.budget.record(
            limits.resource,
            remaining=limits.remaining,
            reset_at=limits.reset_at,
            retry_after=limits.refused_for,
        )
        status = response.status_code
        path = response.request.url.path
        if limits.refused_for is not None:
            raise RateLimited(limits.refused_for, f"{what or 'GET ' + path}: rate limited")
        if 200 <= status < 300 or status == 304:
            return response
        if status >= 500:
            raise TrackerUnavailable(f"GET {path}: HTTP {status}")
        if status in (401, 403):
            raise TrackerAuthError(f"GET {path}: HTTP {status}")
        if status in (404, 410):
            raise TrackerNotFound(f"GET {path}: HTTP {status}")
        raise TrackerError(f"GET {path}: unexpected HTTP {status}")

    @staticmethod
    def json(response: httpx.Response) -> Any:
        """Decode the body as JSON, or raise TrackerGarbage naming what came instead."""
        path = response.request.url.path
        content_type = response.headers.get("content-type", "")
        if "json" not in content_type.lower():
            raise TrackerGarbage(f"GET {path}: expected JSON, got {content_type or 'no type'!r}")
        try:
            return json.loads(response.content)
        except (ValueError, UnicodeDecodeError) as exc:
            raise TrackerGarbage(f"GET {path}: invalid JSON ({exc})") from None


class JsonClient:
    """What the httpx-based tracker clients share: a repr without secrets, closing, counting."""

    base_url: str
    authenticated: bool
    _http: JsonHttp

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(base_url={self.base_url!r}, authenticated={self.authenticated})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    @property
    def requests_made(self) -> int:
        """HTTP requests this client has sent (a request the budget stopped is not one)."""
        return self._http.requests_made

    @property
    def rate_limit_remaining(self) -> int | None:
        limits = self._http.last_limits
        return None if limits is None else limits.remaining
