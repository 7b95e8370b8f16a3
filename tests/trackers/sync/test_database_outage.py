"""PostgreSQL unavailable for a moment during a sync: the run is recorded as failed, and the
next run catches up, with nothing lost or duplicated.

The outage is real: between two pages of the listing, the database refuses new connections
and every connection to it (the sync's too) is terminated, as in a restart or a failover;
it accepts connections again a moment later.
"""

from __future__ import annotations

import threading

import psycopg
import pytest
from django.db import OperationalError, connection

from tests.trackers.sync.conftest import PROJECT, assert_mirrors
from trackers import services
from trackers.models import RunStatus, SyncRun, TrackedIssue
from trackers.tasks import RETRYABLE

pytestmark = pytest.mark.django_db(transaction=True)


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
