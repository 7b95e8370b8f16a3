"""Fixtures: a local Matrix homeserver, settings pointing at it, and its bot token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.notifications.matrix_server import MatrixHomeserver

TOKEN = "syt_ZmVkaW1hZ2U_sEcReTtOkEnvalue_0xDEADBEEF"  # a made-up bot token
TOKEN_ENV = "FEDIMAGE_TEST_MATRIX_TOKEN"
ROOM_ID = "!bootc:example.org"


@pytest.fixture
def homeserver(settings, monkeypatch) -> Iterator[MatrixHomeserver]:
    server = MatrixHomeserver(token=TOKEN).start()
    settings.NOTIFICATIONS_MATRIX_HOMESERVER = server.url
    settings.NOTIFICATIONS_MATRIX_TOKEN_ENV = TOKEN_ENV
    settings.NOTIFICATIONS_SITE_URL = "https://fedimage.example.org"
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    yield server
    server.stop()
