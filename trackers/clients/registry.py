"""The tracker clients by kind: the sync looks a client up here, never by its class."""

from __future__ import annotations

from collections.abc import Callable

from trackers.clients.base import RateBudget, TrackerClient
from trackers.clients.forgejo import ForgejoClient
from trackers.clients.github import GitHubClient
from trackers.clients.gitlab import GitLabClient

ClientFactory = Callable[..., TrackerClient]

CLIENTS: dict[str, ClientFactory] = {
    GitLabClient.kind: GitLabClient,
    GitHubClient.kind: GitHubClient,
    ForgejoClient.kind: ForgejoClient,
}


def client_for(
    kind: str,
    *,
    base_url: str,
    token: str | None,
    per_page: int,
    timeout: float,
    budget: RateBudget | None = None,
) -> TrackerClient:
    """Make the client of tracker `kind`; KeyError names a kind nobody registered."""
    try:
        factory = CLIENTS[kind]
    except KeyError:
        raise KeyError(f"no tracker client for kind {kind!r}") from None
    return factory(
        base_url=base_url, token=token, per_page=per_page, timeout=timeout, budget=budget
    )


def supports_boards(kind: str) -> bool:
    """Whether clients of `kind` read issue boards (the optional part of the protocol)."""
    return bool(getattr(CLIENTS[kind], "supports_boards", False))
