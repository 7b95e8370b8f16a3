"""The pipeline as a whole: boards, one issue at a time (webhooks), the lock, and secrets."""

import io
import logging
import threading

import psycopg
import pytest
from django.core.management import call_command
from django.db import OperationalError, connection

from tests.trackers.sync.conftest import FORGE_REPO, PROJECT, REPO, assert_mirrors, held, trackers
from trackers import services
from trackers.clients.base import TrackerAuthError
from trackers.models import RunStatus, SyncRun, TrackedIssue
from trackers.sync.pipeline import source_lock
from trackers.tasks import RETRYABLE

KINDS = ["gitlab", "github", "forgejo"]


@pytest.fixture
def tracker(request, fake_gitlab, fake_github, fake_forgejo):
    return trackers(request.param, fake_gitlab, fake_github, fake_forgejo)


def test_a_first_gitlab_sync_reads_board_columns_from_list_labels(fake_gitlab, make_source):
    fake_gitlab.add_board(PROJECT, "Development", ["To Do", "Doing"], assignee_list=True)
    fake_gitlab.add_issue(PROJECT, labels=["Doing", "bug"])
    fake_gitlab.add_issue(PROJECT, labels=["bug"])
    fake_gitlab.add_issue(PROJECT, labels=["To Do", "Doing"])
    fake_gitlab.add_issue(PROJECT, labels=["Doing"], state="closed")
    source = make_source(fake_gitlab, PROJECT)

    services.source_sync(source=source)

    source.refresh_from_db()
    assert (source.board_name, source.board_columns) == ("Development", ["To Do", "Doing"])
    columns = {n: i.board_column for n, i in held(source).items()}
    assert columns == {1: "Doing", 2: "Open", 3: "To Do", 4: "Closed"}


def test_a_webhook_issue_sync_stores_the_issue_or_flags_it_gone(fake_forgejo, make_source):
    fake_forgejo.add_issues(FORGE_REPO, 2)
    source = make_source(fake_forgejo, FORGE_REPO)
    services.source_sync(source=source)
    fake_forgejo.delete_issue(FORGE_REPO, 1)
    fake_forgejo.update_issue(FORGE_REPO, 2, title="Via the hook")

    gone = services.issue_sync(source=source, project=FORGE_REPO, number=1)
    changed = services.issue_sync(source=source, project=FORGE_REPO, number=2)

    assert (gone.kind, gone.removed, gone.requests) == ("issue", 1, 1)
    assert changed.updated == 1
    assert held(source)[1].removed
    assert held(source)[2].title == "Via the hook"


def test_a_sync_of_a_source_already_syncing_is_refused(fake_gitlab, make_source):
    source = make_source(fake_gitlab, PROJECT)
    with source_lock(source) as acquired:
        assert acquired
        with pytest.raises(services.SyncInProgress) as caught:
            services.source_sync(source=source)
    assert caught.value.retry_after > 0
    assert not SyncRun.objects.exists()


def test_a_sync_refused_by_the_lock_leaves_the_live_run_alone(fake_github, make_source):
    fake_github.add_issues("bootc-dev/other", 1)
    source = make_source(fake_github, REPO)
    other = make_source(fake_github, "bootc-dev/other")
    live = SyncRun.objects.create(source=source)
    elsewhere = SyncRun.objects.create(source=other)

    with source_lock(source) as held_by_live_run:
        assert held_by_live_run
        with pytest.raises(services.SyncInProgress):
            services.source_sync(source=source)
    services.source_sync(source=other)

    live.refresh_from_db()
    elsewhere.refresh_from_db()
    assert (live.status, live.finished_at, live.error) == ("running", None, "")
    assert elsewhere.status == "interrupted"


@pytest.mark.parametrize("tracker", KINDS, indirect=True)
def test_the_token_never_appears_in_pages_api_logs_or_database(
    tracker, make_source, monkeypatch, client, caplog
):
    """The token is read from the environment for each run and goes nowhere else: not after a
    good run, not after the tracker refused it."""
    fake, project = tracker
    token = fake.token
    fake.add_issues(project, 2)
    source = make_source(fake, project)

    with caplog.at_level(logging.DEBUG):
        assert services.source_sync(source=source).created == 2
        monkeypatch.setenv(source.token_env, token + "-revoked")
        with pytest.raises(TrackerAuthError):
            services.source_sync(source=source)
        pages = [
            client.get(url).content.decode()
            for url in (
                "/trackers/",
                source.get_absolute_url(),
                f"/trackers/issues/?source={source.name}",
                "/api/trackers/sources/",
                "/api/trackers/runs/",
                "/api/trackers/issues/",
            )
        ]
    database = io.StringIO()
    call_command("dumpdata", "trackers", stdout=database)

    assert fake.requests  # the token was used...
    assert any(token in v for r in fake.requests for v in r.headers.values())
    assert "Issue 1" in pages[2]  # ...and what is looked at holds the synced data
    assert "TrackerAuthError" in pages[1]
    for where, text in [
        *zip(["pages and API"] * len(pages), pages, strict=True),
        ("logs", caplog.text),
        ("database", database.getvalue()),
    ]:
        assert token not in text, where
        assert "revoked" not in text, where


# PostgreSQL unavailable for a moment during a sync: the run is recorded as failed, and the
# next run catches up, with nothing lost or duplicated.
#
# The outage is real: between two pages of the listing, the database refuses new connections
# and every connection to it (the sync's too) is terminated, as in a restart or a failover;
# it accepts connections again a moment later.


class Outage:
    """Take the test database away for `seconds` (superuser connection to `postgres`)."""

    def __init__(self, seconds: float) -> None:
        s = connection.settings_dict
        self.name = s["NAME"]
        self.conninfo = psycopg.conninfo.make_conninfo(
            dbname="postgres",
            user=s.get("USER") or "postgres",
            password=s.get("PASSWORD") or None,
            host=s.get("HOST") or "127.0.0.1",
            port=s.get("PORT") or 5432,
        )
        self.seconds = seconds
        self.over = threading.Event()

    def _sql(self, query: str, params: tuple = ()) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as admin:
            admin.execute(query, params)  # type: ignore[arg-type]

    def begin(self) -> None:
        name = psycopg.sql.Identifier(self.name).as_string()
        self._sql(f"ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false")
        self._sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (self.name,),
        )
        threading.Timer(self.seconds, self.end).start()

    def end(self) -> None:
        name = psycopg.sql.Identifier(self.name).as_string()
        self._sql(f"ALTER DATABASE {name} WITH ALLOW_CONNECTIONS true")
        self.over.set()


@pytest.mark.django_db(transaction=True)
def test_a_database_outage_mid_sync_fails_the_run_and_the_next_run_catches_up(
    fake_gitlab, make_source
):
    fake_gitlab.add_issues(PROJECT, 8)  # three pages of three
    source = make_source(fake_gitlab, PROJECT)
    outage = Outage(seconds=1.5)
    # Before the second page is answered: the first is stored, the second meets the outage.
    fake_gitlab.between_pages = lambda page: page == 2 and outage.begin()
    try:
        with pytest.raises(OperationalError) as failure:
            services.source_sync(source=source)
    finally:
        fake_gitlab.between_pages = None
        assert outage.over.wait(10)
    assert isinstance(failure.value, RETRYABLE)  # the task retries it

    [run] = SyncRun.objects.filter(source=source)
    assert run.status == RunStatus.FAILED
    assert run.error.startswith("the database was unavailable")
    assert TrackedIssue.objects.filter(source=source).count() == 3  # the first page, kept

    again = services.source_sync(source=source)

    assert again.status == RunStatus.OK
    assert_mirrors(source, fake_gitlab)
    assert TrackedIssue.objects.filter(source=source).count() == 8
    source.refresh_from_db()
    assert source.last_success_at == again.finished_at
