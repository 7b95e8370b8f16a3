"""The httpx plumbing the GitHub and Forgejo clients share: retries, counting, error mapping."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any, Self

import httpx

from trackers.clients.base import (
    TrackerAuthError,
    TrackerError,
    TrackerGarbage,
    TrackerNotFound,
    TrackerUnavailable,
)

RateLimitCheck = Callable[[httpx.Response], float | None]


class JsonHttp:
    """GET JSON from one API: retry network errors and 5xx, map every failure to TrackerError.

    `rate_limit` looks at a non-2xx response and returns the seconds to wait when it is a rate
    limit; the caller raises RateLimited with it rather than sleeping in a worker.
    """

    def __init__(
        self,
        *,
        base_url: str,
        headers: Mapping[str, str],
        timeout: float,
        max_retries: int,
        backoff: float,
        rate_limit: RateLimitCheck,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.max_retries = max_retries
        self.backoff = backoff
        self.rate_limit = rate_limit
        self.requests_made = 0
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
        on_rate_limit: Callable[[float], Exception],
    ) -> httpx.Response:
        """GET `url`; return a 2xx or 304 response, or raise."""
        attempt = 0
        while True:
            self.requests_made += 1
            try:
                response = self._client.get(url, params=params, headers=headers)
            except httpx.TransportError as exc:
                if attempt < self.max_retries:
                    self._sleep(attempt)
                    attempt += 1
                    continue
                raise TrackerUnavailable(
                    f"GET {httpx.URL(url).path}: {type(exc).__name__}: {exc}"
                ) from exc
            status = response.status_code
            if 200 <= status < 300 or status == 304:
                return response
            wait = self.rate_limit(response)
            if wait is not None:
                raise on_rate_limit(wait)
            if status >= 500:
                if attempt < self.max_retries:
                    self._sleep(attempt)
                    attempt += 1
                    continue
                raise TrackerUnavailable(
                    f"GET {response.request.url.path}: HTTP {status} after {attempt + 1} attempts"
                )
            path = response.request.url.path
            if status in (401, 403):
                raise TrackerAuthError(f"GET {path}: HTTP {status}")
            if status in (404, 410):
                raise TrackerNotFound(f"GET {path}: HTTP {status}")
            raise TrackerError(f"GET {path}: unexpected HTTP {status}")

    def _sleep(self, attempt: int) -> None:
        if self.backoff > 0:
            time.sleep(self.backoff * 2**attempt)

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
        """HTTP requests this client has sent, retries included."""
        return self._http.requests_made
