"""Fixtures of the bus tests: the real RabbitMQ behind a relay, an exchange per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.bus.amqp import Relay, Tap, ensure_broker

# The health tests' real OCI registry, for images turning unhealthy and recovering.
from tests.health.conftest import pusher, registry, repo  # noqa: F401

# The trackers' fake GitLab and sources pointing at it, for the consumer's tests.
from tests.trackers.conftest import fake_gitlab, make_source, small_pages  # noqa: F401

ALL_TOPICS = ["fedimage.#"]


@pytest.fixture(scope="session")
def relay() -> Iterator[Relay]:
    """One relay for the session: fedora-messaging keeps one connection per process."""
    ensure_broker()
    with Relay().running() as running:
        yield running


@pytest.fixture
def tap() -> Iterator[Tap]:
    """This test's own exchange, with a queue bound to every fedimage topic."""
    ensure_broker()
    tap = Tap(ALL_TOPICS)
    yield tap
    tap.close()


@pytest.fixture
def bus(settings, relay: Relay, tap: Tap) -> Tap:
    """fedimage publishing through the relay onto this test's exchange."""
    settings.BUS_AMQP_URL = relay.url
    settings.BUS_EXCHANGE = tap.exchange
    settings.BUS_TOPIC_PREFIX = ""
    settings.BUS_PUBLISH_TIMEOUT = 3.0
    settings.NOTIFICATIONS_SITE_URL = "https://fedimage.example.org"
    return tap
