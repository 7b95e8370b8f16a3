"""Bearer token authentication of the distribution spec, and what a client remembers between polls.

A registry that wants tokens answers 401 with `WWW-Authenticate: Bearer realm=..,service=..`; the
client asks the realm for a pull token of the repository's scope and repeats the request. What it
learns is kept in a `Memory`: the token (until it expires), the realm (so later polls ask for a
token before their first request instead of after a 401) and whether the registry has the
referrers API. The default memory lives as long as the client; health polling passes one backed by
the shared cache, so every worker process reuses one token per repository scope until it expires.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

# Renew a token slightly before the registry would reject it.
TOKEN_EXPIRY_MARGIN = 5.0
DEFAULT_TOKEN_LIFETIME = 60.0
# How long a registry's token realm and its referrers support are remembered.
REGISTRY_FACT_LIFETIME = 7 * 24 * 3600.0

_CHALLENGE_PARAM_RE = re.compile(r'([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)')


class Memory(Protocol):
    """Where a client keeps what it learned, by key, each value for at most `ttl` seconds."""

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str, ttl: float) -> None: ...

    def delete(self, key: str) -> None: ...


class LocalMemory:
    """A memory for one client's lifetime; entries carry their own expiry, so ttl is not needed."""

    def __init__(self) -> None:
        self._values: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self._values.get(key)

    def set(self, key: str, value: str, ttl: float) -> None:
        self._values[key] = value

    def delete(self, key: str) -> None:
        self._values.pop(key, None)


@dataclass(frozen=True)
class Challenge:
    scheme: str
    params: Mapping[str, str]


@dataclass(frozen=True)
class Token:
    value: str
    expires_at: float  # on the client's clock (wall time: shared between processes)


def parse_challenge(header: str) -> Challenge | None:
    scheme, _, rest = header.strip().partition(" ")
    if not scheme:
        return None
    params = {}
    for name, raw in _CHALLENGE_PARAM_RE.findall(rest):
        value = raw[1:-1].replace('\\"', '"') if raw.startswith('"') else raw
        params[name.lower()] = value
    return Challenge(scheme=scheme.lower(), params=params)


class TokenBook:
    """The pull tokens of one registry, by repository scope: in this process, then in memory."""

    def __init__(self, host: str, memory: Memory) -> None:
        self.host = host
        self.memory = memory
        self._local: dict[str, Token] = {}
        # The realm as this book last read or learned it: read from memory once per book (a
        # client's lifetime), not once per request; a 401 teaches a newer one.
        self._realm: Challenge | None = None
        self._realm_read = False
        self._lookup_lock = threading.Lock()
        self._guard = threading.Lock()
        self._scope_locks: dict[str, threading.Lock] = {}

    def scope_lock(self, scope: str) -> threading.Lock:
        """Return the lock that lets one thread at a time fetch the scope's token."""
        with self._guard:
            return self._scope_locks.setdefault(scope, threading.Lock())

    def valid(self, scope: str, now: float) -> Token | None:
        token = self._local.get(scope)
        if token is None:
            with self._lookup_lock:  # one look-up in memory when requests start together
                token = self._local.get(scope)
                if token is None:
                    stored = self.memory.get(self._token_key(scope))
                    token = _decode_token(stored) if stored else None
                    if token is not None:
                        self._local[scope] = token
        return token if token is not None and token.expires_at > now else None

    def keep(self, scope: str, value: str, lifetime: float, now: float) -> Token:
        margin = min(TOKEN_EXPIRY_MARGIN, lifetime / 2)
        token = Token(value=value, expires_at=now + lifetime - margin)
        self._local[scope] = token
        self.memory.set(
            self._token_key(scope),
            json.dumps({"token": value, "expires_at": token.expires_at}),
            ttl=lifetime - margin,
        )
        return token

    def forget(self, scope: str) -> None:
        """Drop a token the registry just refused."""
        self._local.pop(scope, None)
        self.memory.delete(self._token_key(scope))

    def realm(self) -> Challenge | None:
        """Return the Bearer challenge this registry answered last, if remembered."""
        if not self._realm_read:
            with self._lookup_lock:  # one look-up in memory when requests start together
                if not self._realm_read:
                    self._realm, self._realm_read = self._stored_realm(), True
        return self._realm

    def remember_realm(self, challenge: Challenge) -> None:
        params = {k: challenge.params[k] for k in ("realm", "service") if k in challenge.params}
        self.memory.set(f"challenge:{self.host}", json.dumps(params), ttl=REGISTRY_FACT_LIFETIME)
        self._realm, self._realm_read = Challenge("bearer", params), True

    def _stored_realm(self) -> Challenge | None:
        stored = self.memory.get(f"challenge:{self.host}")
        if not stored:
            return None
        try:
            params = json.loads(stored)
        except ValueError:
            return None
        return Challenge("bearer", params) if isinstance(params, dict) else None

    def _token_key(self, scope: str) -> str:
        return f"token:{self.host}:{scope}"


def _decode_token(stored: str) -> Token | None:
    try:
        data = json.loads(stored)
        return Token(value=str(data["token"]), expires_at=float(data["expires_at"]))
    except (ValueError, KeyError, TypeError):
        return None
