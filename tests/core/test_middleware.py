"""HEAD works wherever GET does: same status and headers, no body."""

from __future__ import annotations

import pytest

PAGES = [
    "/",
    "/blockers/",
    "/changes/",
    "/health/",
    "/trackers/",
    "/trackers/issues/",
    "/meetings/",
    "/feeds/calendar.ics",
    "/feeds/blockers.atom",
    "/api/",
    "/api/blockers/",
    "/healthz",
    "/readyz",
    "/accounts/login/",
    "/no-such-page/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_head_answers_like_get_without_a_body(client, initiative, path):
    got = client.get(path)
    head = client.head(path)

    assert head.status_code == got.status_code != 405
    assert head.content == b""
    assert head["Content-Type"] == got["Content-Type"]
    if not got.streaming:
        assert head["Content-Length"] == str(len(got.content))
