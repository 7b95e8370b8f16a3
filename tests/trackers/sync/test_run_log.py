"""Logs of a sync: one line per run with its outcome, never one per HTTP request."""

from __future__ import annotations

import logging

import pytest

from tests.trackers.sync.conftest import PROJECT
from trackers import services
from trackers.clients.base import TrackerUnavailable


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [f"{r.levelname} {r.name}: {r.getMessage()}" for r in caplog.records]


def test_a_sync_logs_one_line_with_its_outcome_and_none_per_request(
    fake_gitlab, make_source, caplog
):
    fake_gitlab.add_issues(PROJECT, 7)  # three pages of three
    source = make_source(fake_gitlab, PROJECT, name="tracker")
    caplog.set_level(logging.INFO)

    run = services.source_sync(source=source)

    assert run.requests >= 3
    assert lines(caplog) == [
        f"INFO trackers.sync.ledger: trackers: tracker: incremental sync ok in "
        f"{run.duration.total_seconds():.1f}s: 7 created, 0 updated, 0 removed, "
        f"{run.requests} requests"
    ]


def test_an_unreachable_tracker_is_one_warning_line_without_a_traceback(
    dead_url, make_source, caplog
):
    source = make_source(dead_url, PROJECT, name="offline", kind="gitlab")
    caplog.set_level(logging.INFO)

    with pytest.raises(TrackerUnavailable):
        services.source_sync(source=source)

    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith("trackers: offline: incremental sync failed after")
    assert "TrackerUnavailable" in record.getMessage()
    assert record.exc_info is None
