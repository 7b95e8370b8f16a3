import socket
from collections.abc import Iterator

import pytest

from tests.trackers.fakes import FakeForgejo, FakeGitHub, FakeGitLab, FakeTracker

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


# The sync service against the fakes: small pages so a few issues make several pages, no
# sleeping between retries, tokens in the environment under the names the sources give.


@pytest.fixture
def small_pages(monkeypatch):
    from trackers import services

    monkeypatch.setattr(services, "PAGE_SIZE", 3)
    monkeypatch.setattr(services, "BACKOFF", 0)
    monkeypatch.setenv("TEST_GITLAB_TOKEN", GITLAB_TOKEN)
    monkeypatch.setenv("TEST_GITHUB_TOKEN", GITHUB_TOKEN)
    monkeypatch.setenv("TEST_FORGEJO_TOKEN", FORGEJO_TOKEN)


@pytest.fixture
def make_source(db, small_pages):
    """Create a TrackerSource pointing at a fake: make_source(fake_gitlab, "group/project")."""
    from trackers.models import TrackerSource

    kinds = {FakeGitLab: "gitlab", FakeGitHub: "github", FakeForgejo: "forgejo"}

    def make(
        fake, project: str, *, name: str | None = None, kind: str | None = None, **fields
    ) -> TrackerSource:
        kind = kind or kinds[type(fake)]
        fields.setdefault("token_env", f"TEST_{kind.upper()}_TOKEN")
        return TrackerSource.objects.create(
            name=name or project.replace("/", "-"),
            kind=kind,
            base_url=fake.url if isinstance(fake, FakeTracker) else fake,
            project=project,
            **fields,
        )

    return make
