"""Fixtures of the system tests: a `Stack` of real processes on the test database and Redis,
the local servers it talks to (fake trackers, a Matrix homeserver, the real registry)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from tests.health.conftest import pusher, registry  # noqa: F401 (fixtures, shared with health)
from tests.notifications.matrix_server import MatrixHomeserver
from tests.system.stack import ROOT, Stack
from tests.worker import purge_broker

MATRIX_TOKEN = "syt_c3lzdGVtLXRlc3Q_notarealtoken_0042"  # a made-up bot token
ROOM_ID = "!system:example.org"


def database_url() -> str:
    """The test database pytest-django created, as the processes must reach it."""
    s = connection.settings_dict
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    host, port = s.get("HOST") or "127.0.0.1", s.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{s['NAME']}"


@pytest.fixture(scope="session")
def static_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Static files collected once, as the production image does at build time."""
    root = tmp_path_factory.mktemp("static")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "fedimage.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "0",
        "STATIC_ROOT": str(root),
        "FEDIMAGE_VAR_DIR": str(root / "var"),
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=180,
    )
    return root


@pytest.fixture
def homeserver() -> Iterator[MatrixHomeserver]:
    server = MatrixHomeserver(token=MATRIX_TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def stack(
    transactional_db, tmp_path: Path, static_root: Path, homeserver: MatrixHomeserver
) -> Iterator[Stack]:
    """Production settings, the test database, this run's Redis database, short intervals."""
    purge_broker()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_", "FEDIMAGE_", "PYTEST_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="fedimage.settings",
        SECRET_KEY=secrets.token_urlsafe(50),
        DEBUG="0",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url(),
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
        FEDIMAGE_VAR_DIR=str(tmp_path / "var"),
        STATIC_ROOT=str(static_root),
        PYTHONUNBUFFERED="1",
        # Seconds, not minutes: the test waits for conditions, never for a wall-clock time.
        TRACKERS_SYNC_INTERVAL_SECONDS="4",
        HEALTH_POLL_INTERVAL_SECONDS="4",
        NOTIFICATIONS_DUE_SCAN_INTERVAL_SECONDS="3",
        NOTIFICATIONS_REDELIVER_INTERVAL_SECONDS="3",
        OUTBOX_RELAY_INTERVAL_SECONDS="2",
        CELERY_VISIBILITY_TIMEOUT_SECONDS="12",
        LOCK_TTL_SECONDS="3",
        NOTIFICATIONS_MATRIX_HOMESERVER=homeserver.url,
        NOTIFICATIONS_MATRIX_TOKEN_ENV="SYSTEM_TEST_MATRIX_TOKEN",
        SYSTEM_TEST_MATRIX_TOKEN=MATRIX_TOKEN,
    )
    (tmp_path / "var").mkdir()
    # gunicorn's request metrics (multiprocess mode) in this test's directory, not /tmp.
    env["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / "metrics")
    (tmp_path / "metrics").mkdir()
    stack = Stack(workdir=tmp_path, env=env)
    try:
        yield stack
    finally:
        stack.stop_all()
