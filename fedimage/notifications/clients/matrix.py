"""A small Matrix client-server API client: resolve a room alias, send a message.

HTTP only; the access token goes in the Authorization header and nowhere else (not in URLs,
not in the client's repr, not in exception messages).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import httpx

from fedimage.core.retry_after import parse_retry_after

DEFAULT_TIMEOUT = 10.0


class MatrixError(Exception):
    """The homeserver refused the request for good (bad token, not in the room, bad room)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class MatrixUnavailable(MatrixError):
    """A failure worth retrying: network, 5xx or 429 (with the delay the server asks for)."""

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


@dataclass(frozen=True)
class SentMessage:
    room_id: str
    event_id: str


class MatrixClient:
    def __init__(self, *, base_url: str, token: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {token}", "User-Agent": "fedimage"},
            timeout=timeout,
        )

    def __repr__(self) -> str:
        return f"MatrixClient({self.base_url!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> MatrixClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def resolve_room(self, room: str) -> str:
        """A room ID as is; an alias (#room:server) through the room directory."""
        if room.startswith("!"):
            return room
        data = self._request("GET", f"/_matrix/client/v3/directory/room/{quote(room, safe='')}")
        room_id = data.get("room_id")
        if not isinstance(room_id, str) or not room_id.startswith("!"):
            raise MatrixError(f"the directory gave no room ID for {room}")
        return room_id

    def send_notice(self, *, room: str, txn_id: str, body: str) -> SentMessage:
        """Send a text notice; the same txn_id (per token) never posts the message twice."""
        room_id = self.resolve_room(room)
        path = (
            f"/_matrix/client/v3/rooms/{quote(room_id, safe='')}/send/m.room.message/"
            f"{quote(txn_id, safe='')}"
        )
        data = self._request("PUT", path, json={"msgtype": "m.notice", "body": body})
        event_id = data.get("event_id")
        if not isinstance(event_id, str):
            raise MatrixUnavailable("the homeserver answered without an event_id")
        return SentMessage(room_id=room_id, event_id=event_id)

    def _request(self, method: str, path: str, **kwargs: object) -> dict:
        try:
            response = self._http.request(method, path, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            # The message names the exception type only: httpx's text can carry the request.
            raise MatrixUnavailable(
                f"{self.base_url} did not answer ({type(exc).__name__})"
            ) from None
        try:
            data = response.json()
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        if response.status_code == 429:
            raise MatrixUnavailable(
                f"rate limited by {self.base_url}",
                status=429,
                retry_after=_retry_after(response, data),
            )
        if response.status_code >= 500:
            raise MatrixUnavailable(
                f"{self.base_url} answered {response.status_code}", status=response.status_code
            )
        if response.status_code >= 400:
            errcode = str(data.get("errcode", ""))[:60]
            error = str(data.get("error", ""))[:200]
            raise MatrixError(
                f"{self.base_url} refused: {response.status_code} {errcode} {error}".strip(),
                status=response.status_code,
            )
        return data


def _retry_after(response: httpx.Response, data: dict) -> float | None:
    """The header (read by the one parser), else the body's `retry_after_ms` (M_LIMIT_EXCEEDED)."""
    header = parse_retry_after(response.headers.get("Retry-After"))
    if header is not None:
        return header
    ms = data.get("retry_after_ms")
    if isinstance(ms, int | float):
        return max(ms / 1000, 0.0)
    return None
