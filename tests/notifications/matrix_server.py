"""A local homeserver that speaks the Matrix client-server API's send-message endpoint.

Like a real homeserver it answers the same event ID to a repeated transaction ID (per token),
resolves room aliases through the directory, checks the bearer token, and can be scripted to
fail the next requests with 5xx or 429.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

SEND_PREFIX = "/_matrix/client/v3/rooms/"
DIRECTORY_PREFIX = "/_matrix/client/v3/directory/room/"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: dict | None


@dataclass
class Scripted:
    status: int
    body: dict
    headers: dict[str, str] = field(default_factory=dict)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        homeserver = self.server.homeserver
        with homeserver.lock:
            homeserver.requests.append(Recorded(self.command, self.path, dict(self.headers), body))
            status, payload, headers = homeserver.answer(self.command, self.path, self.headers)
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    homeserver: MatrixHomeserver


class MatrixHomeserver:
    def __init__(self, *, token: str) -> None:
        self.token = token
        self.lock = threading.Lock()
        self.requests: list[Recorded] = []
        self.script: list[Scripted] = []
        self.aliases: dict[str, str] = {}
        self.messages: dict[str, list[dict]] = {}
        self._transactions: dict[str, str] = {}
        self._httpd: _Server | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def sends(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "PUT"]

    def start(self) -> MatrixHomeserver:
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.homeserver = self
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def answer(self, method: str, path: str, headers) -> tuple[int, dict, dict[str, str]]:
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {"errcode": "M_UNKNOWN_TOKEN", "error": "Invalid access token"}, {}
        if self.script:
            step = self.script.pop(0)
            return step.status, step.body, step.headers
        if method == "GET" and path.startswith(DIRECTORY_PREFIX):
            alias = unquote(path.removeprefix(DIRECTORY_PREFIX))
            if alias not in self.aliases:
                return 404, {"errcode": "M_NOT_FOUND", "error": "Room alias not found"}, {}
            return 200, {"room_id": self.aliases[alias], "servers": ["example.org"]}, {}
        if method == "PUT" and path.startswith(SEND_PREFIX):
            room_part, _, rest = path.removeprefix(SEND_PREFIX).partition("/send/")
            event_type, _, txn_id = rest.partition("/")
            room_id = unquote(room_part)
            if event_type != "m.room.message" or not room_id.startswith("!"):
                return 400, {"errcode": "M_UNRECOGNIZED", "error": "Unrecognized request"}, {}
            key = f"{self.token}/{unquote(txn_id)}"
            if key not in self._transactions:
                self._transactions[key] = f"$event{len(self._transactions) + 1}"
                self.messages.setdefault(room_id, []).append(self.requests[-1].body or {})
            return 200, {"event_id": self._transactions[key]}, {}
        return 404, {"errcode": "M_UNRECOGNIZED", "error": "Unrecognized request"}, {}
