"""What every client shares: errors that survive Celery's pickling, the registry by kind."""

import pickle

import pytest
from celery.utils.serialization import get_pickleable_exception

from trackers.clients.base import RateLimited, TrackerUnavailable
from trackers.clients.forgejo import ForgejoClient
from trackers.clients.github import GitHubClient
from trackers.clients.gitlab import GitLabClient
from trackers.clients.registry import CLIENTS, client_for, supports_boards
from trackers.sync.pipeline import SyncInProgress


def test_rate_limited_survives_pickling_with_its_wait():
    """Celery pickles a retried task's exception; one that cannot be rebuilt is logged as a
    plain error and loses its wait."""
    error = RateLimited(96.5, "GitHub issues of bootc-dev/bootc: rate limited", sent=False)

    again = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes

    assert (again.retry_after, again.sent, str(again)) == (
        96.5,
        False,
        "GitHub issues of bootc-dev/bootc: rate limited",
    )
    assert get_pickleable_exception(error) is error


def test_sync_in_progress_survives_pickling_with_its_wait():
    again = pickle.loads(pickle.dumps(SyncInProgress("bootc", retry_after=12)))  # noqa: S301

    assert (str(again), again.retry_after) == ("another sync of bootc is running", 12)


def test_errors_worth_a_retry_say_after_how_long():
    assert RateLimited(5).retry_after == 5
    assert TrackerUnavailable("down").retry_after is None  # the task's backoff decides


def test_clients_are_found_by_kind_and_say_what_they_support():
    assert {"gitlab": GitLabClient, "github": GitHubClient, "forgejo": ForgejoClient} == CLIENTS
    assert [supports_boards(k) for k in ("gitlab", "github", "forgejo")] == [True, False, False]
    with client_for(
        "forgejo", base_url="https://forge.example.org", token=None, per_page=5, timeout=1
    ) as client:
        assert isinstance(client, ForgejoClient)
        assert client.per_page == 5
    with pytest.raises(KeyError, match="pagure"):
        client_for("pagure", base_url="https://pagure.io", token=None, per_page=5, timeout=1)
