"""Fixtures: a real distribution registry (plain and token-auth), image pushers and stub servers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest
from django.utils import timezone

from fedimage.health.clients.registry import RegistryClient, close_shared_http_clients
from tests.health.oci import BearerAuth, OciPusher
from tests.health.registry_server import RegistryServer, StubServer, TokenServer


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    """Run an anonymous `docker-registry` for the whole session."""
    with RegistryServer(tmp_path_factory.mktemp("registry")) as server:
        yield server


@pytest.fixture(scope="session")
def pusher(registry: RegistryServer) -> Iterator[OciPusher]:
    """Push test images into `registry`."""
    with httpx.Client(base_url=registry.url, timeout=10) as client:
        yield OciPusher(client)


@pytest.fixture(scope="session")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenServer]:
    """Serve the token realm of `token_registry`."""
    server = TokenServer(tmp_path_factory.mktemp("token-server")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def token_registry(
    tmp_path_factory: pytest.TempPathFactory, token_server: TokenServer
) -> Iterator[RegistryServer]:
    """Run a `docker-registry` that demands Bearer tokens from `token_server`."""
    server = RegistryServer(
        tmp_path_factory.mktemp("token-registry"),
        token_realm=token_server.realm,
        cert=token_server.cert,
    )
    with server:
        yield server


@pytest.fixture(scope="session")
def token_pusher(token_registry: RegistryServer) -> Iterator[OciPusher]:
    """Push test images into `token_registry`, fetching push tokens as a real client does."""
    with httpx.Client(base_url=token_registry.url, timeout=10, auth=BearerAuth()) as client:
        yield OciPusher(client)


@pytest.fixture(autouse=True)
def registry_memory(settings) -> Iterator[str]:
    """Give each test its own cache namespace for what registry clients remember, and close
    the keep-alive pools it opened (its registries may be gone by the next test)."""
    settings.HEALTH_CACHE_PREFIX = f"health-test-{uuid.uuid4().hex[:12]}"
    yield settings.HEALTH_CACHE_PREFIX
    close_shared_http_clients()


@pytest.fixture
def now() -> datetime:
    return timezone.now()


@pytest.fixture
def repo() -> str:
    """Return a repository name no other test uses."""
    return f"fedimage-test/img-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def registry_client(registry: RegistryServer) -> Iterator[RegistryClient]:
    """Return a client of `registry` whose request count starts at zero."""
    with RegistryClient(registry.host, insecure=True, timeout=5) as client:
        yield client


@pytest.fixture
def stub_server() -> Iterator[StubServer]:
    """Run a server that answers scripted responses (see `StubServer.route`)."""
    server = StubServer().start()
    yield server
    server.stop()


@pytest.fixture
def stub_client(stub_server: StubServer) -> Iterator[RegistryClient]:
    """Return a registry client pointed at `stub_server`."""
    with RegistryClient(stub_server.host, insecure=True, timeout=5) as client:
        yield client
