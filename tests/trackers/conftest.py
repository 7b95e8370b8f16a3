import socket
from collections.abc import Iterator
from datetime import timedelta

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
    from trackers.sync import pipeline

    monkeypatch.setattr(pipeline, "PAGE_SIZE", 3)
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


def later(source, by: timedelta) -> None:
    """Move the clock `by` on for a failing `source`: the times its failures recorded (when it
    started failing, when its backoff ends) move back by that much."""
    from django.db.models import F

    from trackers.models import TrackerSource

    TrackerSource.objects.filter(pk=source.pk).update(
        failing_since=F("failing_since") - by, backoff_until=F("backoff_until") - by
    )


# Sources as the shipped initiative file declares them, for pages and the API (no sync).


@pytest.fixture
def sources(db):
    """The GitLab tracker (with a board) and the GitHub upstream, as the file declares them."""
    from tests.trackers.factories import TrackerSourceFactory

    gitlab = TrackerSourceFactory(
        name="fedora-bootc-tracker",
        kind="gitlab",
        base_url="https://gitlab.com",
        project="fedora/bootc/tracker",
        token_env="FEDIMAGE_GITLAB_TOKEN",
        board_name="Development",
        board_columns=["To Do", "Doing"],
    )
    github = TrackerSourceFactory(
        name="bootc",
        kind="github",
        base_url="https://api.github.com",
        project="bootc-dev/bootc",
        upstream=True,
        token_env="FEDIMAGE_GITHUB_TOKEN",
    )
    return gitlab, github
