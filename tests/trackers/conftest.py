import socket
from collections.abc import Iterator

import pytest

from tests.trackers.fakes import FakeForgejo, FakeGitHub, FakeGitLab

GITLAB_TOKEN = "glpat-fake-secret-4242"
GITHUB_TOKEN = "ghp_fakesecret4242"
FORGEJO_TOKEN = "forgejo-fake-secret-4242"


@pytest.fixture
def fake_gitlab() -> Iterator[FakeGitLab]:
    with FakeGitLab(token=GITLAB_TOKEN) as fake:
        yield fake


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    with FakeGitHub(token=GITHUB_TOKEN) as fake:
        yield fake


@pytest.fixture
def fake_forgejo() -> Iterator[FakeForgejo]:
    with FakeForgejo(token=FORGEJO_TOKEN) as fake:
        yield fake


@pytest.fixture
def dead_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (a port just freed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
