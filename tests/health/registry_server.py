"""Local servers for registry tests: the real distribution registry, its token issuer, and stubs.

- `RegistryServer` runs `docker-registry serve` (CNCF distribution 2.8, Debian's package) on a free
  127.0.0.1 port with filesystem storage, optionally with `auth.token` pointing at a `TokenServer`.
- `TokenServer` is the realm of that registry: it hands out RS256 JWTs signed with a throwaway key
  whose self-signed certificate travels in the `x5c` header and is the registry's root bundle.
- `StubServer` answers scripted responses, for what a well-behaved registry never sends (HTML
  pages, bad JSON, digest mismatches, 429, Basic challenges, a referrers API).
"""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import BinaryIO
from urllib.parse import parse_qs, urlsplit

import httpx

REGISTRY_BINARY = "docker-registry"
TOKEN_SERVICE = "fedimage-test-registry"
TOKEN_ISSUER = "fedimage-test-token-issuer"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RegistryServer:
    """One `docker-registry serve` process with its own storage directory."""

    def __init__(self, workdir: Path, *, token_realm: str | None = None, cert: Path | None = None):
        self.workdir = workdir
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.host}"
        self.token_realm = token_realm
        self.cert = cert
        self._process: subprocess.Popen[bytes] | None = None
        self._log: BinaryIO | None = None

    def config(self) -> dict:
        config: dict = {
            "version": "0.1",
            "log": {"level": "warn", "accesslog": {"disabled": True}},
            "storage": {
                "filesystem": {"rootdirectory": str(self.workdir / "storage")},
                "delete": {"enabled": True},
            },
            "http": {"addr": self.host, "secret": uuid.uuid4().hex},
        }
        if self.token_realm:
            config["auth"] = {
                "token": {
                    "realm": self.token_realm,
                    "service": TOKEN_SERVICE,
                    "issuer": TOKEN_ISSUER,
                    "rootcertbundle": str(self.cert),
                }
            }
        return config

    def start(self, timeout: float = 15.0) -> RegistryServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        config_path = self.workdir / "config.yml"
        # JSON is YAML: no YAML writer needed.
        config_path.write_text(json.dumps(self.config(), indent=2))
        self._log = (self.workdir / "registry.log").open("wb")
        binary = shutil.which(REGISTRY_BINARY) or f"/usr/bin/{REGISTRY_BINARY}"
        self._process = subprocess.Popen(
            [binary, "serve", str(config_path)], stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=1.0) as client:
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    self.stop()
                    raise RuntimeError(f"docker-registry exited early:\n{self.log_text()}")
                try:
                    # 401 is how a token-auth registry answers an anonymous ping.
                    if client.get(f"{self.url}/v2/").status_code in (200, 401):
                        return self
                except httpx.TransportError:
                    pass
                time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"docker-registry did not answer /v2/ in {timeout}s:\n{self.log_text()}")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_text(self) -> str:
        path = self.workdir / "registry.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def __enter__(self) -> RegistryServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class _QuietHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def reply(self, status: int, headers: dict[str, str], body: bytes, *, head: bool) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)


class _ThreadedServer:
    """Run a ThreadingHTTPServer on a free 127.0.0.1 port in a daemon thread."""

    handler_class: type[BaseHTTPRequestHandler]

    def start(self) -> _ThreadedServer:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler_class)
        self._server.daemon_threads = True
        self._server.owner = self  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.host = f"127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class _TokenHandler(_QuietHandler):
    def do_GET(self) -> None:
        owner: TokenServer = self.server.owner  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        if parts.path != "/token":
            self.reply(404, {}, b"", head=False)
            return
        query = parse_qs(parts.query)
        # A challenge may name several scopes in one parameter, separated by spaces.
        scopes = [scope for value in query.get("scope", []) for scope in value.split()]
        service = query.get("service", [""])[0]
        owner.requests.append({"service": service, "scopes": scopes})
        body = json.dumps(owner.issue(service=service, scopes=scopes)).encode()
        self.reply(200, {"Content-Type": "application/json"}, body, head=False)


class TokenServer(_ThreadedServer):
    """Anonymous token realm: grant every scope asked for, as an RS256 JWT the registry trusts."""

    handler_class = _TokenHandler

    def __init__(self, workdir: Path, *, expires_in: int = 300, issued_as: str = "token"):
        self.workdir = workdir
        self.expires_in = expires_in
        self.issued_as = issued_as  # the JSON key of the token: "token" or "access_token"
        self.requests: list[dict] = []
        self.key = workdir / "token-key.pem"
        self.cert = workdir / "token-cert.pem"

    def start(self) -> TokenServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", f"/CN={TOKEN_ISSUER}",
                "-keyout", str(self.key), "-out", str(self.cert),
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
        pem_lines = self.cert.read_text().splitlines()
        self._x5c = "".join(line for line in pem_lines if not line.startswith("-----"))
        super().start()
        return self

    @property
    def realm(self) -> str:
        return f"{self.url}/token"

    def issue(self, *, service: str, scopes: Iterable[str]) -> dict:
        now = int(time.time())
        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        claims = {
            "iss": TOKEN_ISSUER,
            "sub": "",
            "aud": service,
            "exp": now + self.expires_in,
            "nbf": now - 10,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        header = {"alg": "RS256", "typ": "JWT", "x5c": [self._x5c]}
        signing_input = f"{_b64(json.dumps(header))}.{_b64(json.dumps(claims))}".encode()
        signature = subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", str(self.key)],
            input=signing_input,
            check=True,
            capture_output=True,
        ).stdout
        token = f"{signing_input.decode()}.{_b64(signature)}"
        return {self.issued_as: token, "expires_in": self.expires_in}

    def pull_scopes(self) -> list[str]:
        """Return the scopes of every token request, in order."""
        return [scope for request in self.requests for scope in request["scopes"]]


def _b64(data: str | bytes) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class StubResponse:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


StubRoute = StubResponse | Callable[[str, str, dict[str, str]], StubResponse]


class _StubHandler(_QuietHandler):
    def _answer(self, *, head: bool) -> None:
        owner: StubServer = self.server.owner  # type: ignore[attr-defined]
        path = self.path
        owner.requests.append((self.command, path, dict(self.headers.items())))
        route = owner.routes.get((self.command, path)) or owner.routes.get(
            ("*", urlsplit(path).path)
        )
        if route is None:
            response = StubResponse(404, {"Content-Type": "application/json"}, b'{"errors":[]}')
        elif isinstance(route, StubResponse):
            response = route
        else:
            response = route(self.command, path, dict(self.headers.items()))
        self.reply(response.status, response.headers, response.body, head=head)

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)


class StubServer(_ThreadedServer):
    """Answer scripted responses by (method, path with query), or ("*", path) for any method."""

    handler_class = _StubHandler

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], StubRoute] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []

    def route(self, method: str, path: str, response: StubRoute) -> None:
        self.routes[(method, path)] = response

    def start(self) -> StubServer:
        super().start()
        return self
