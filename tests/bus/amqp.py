"""The real RabbitMQ on 127.0.0.1:5672, and a TCP relay in front of it that can cut it off.

Every test gets an exchange and a queue of its own (unique names), so runs beside each other
never see each other's messages. The relay is how a test takes the broker away from fedimage
(connections dropped, new ones refused) and brings it back, without touching the broker that
other runs use.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pika

HOST, PORT = "127.0.0.1", 5672
CREDENTIALS = pika.PlainCredentials("guest", "guest")


def broker_up() -> bool:
    with contextlib.suppress(OSError), socket.create_connection((HOST, PORT), timeout=1):
        return True
    return False


def ensure_broker(timeout: float = 60.0) -> None:
    """Start RabbitMQ as the machine notes say if it is not listening; wait until it is."""
    if broker_up():
        return
    subprocess.run(["rabbitmq-server", "-detached"], check=False, timeout=30)
    deadline = time.monotonic() + timeout
    while not broker_up():
        if time.monotonic() > deadline:
            raise RuntimeError("RabbitMQ did not start on 127.0.0.1:5672")
        time.sleep(0.5)


def connect() -> pika.BlockingConnection:
    return pika.BlockingConnection(
        pika.ConnectionParameters(host=HOST, port=PORT, credentials=CREDENTIALS)
    )


@dataclass
class Received:
    routing_key: str
    properties: pika.BasicProperties
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


class Tap:
    """An exchange of the test's own, with a queue bound to the given routing keys."""

    def __init__(self, routing_keys: list[str]) -> None:
        self.exchange = f"fedimage-test-{uuid.uuid4().hex[:12]}"
        self.queue = f"{self.exchange}-q"
        self.connection = connect()
        self.channel = self.connection.channel()
        self.channel.exchange_declare(self.exchange, exchange_type="topic", auto_delete=False)
        self.channel.queue_declare(self.queue, exclusive=True)
        for key in routing_keys:
            self.channel.queue_bind(self.queue, self.exchange, routing_key=key)

    def get(self, *, timeout: float = 60.0) -> Received:
        """The next message on the queue, waiting for it at most `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            method, properties, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is not None:
                return Received(method.routing_key, properties, body)
            if time.monotonic() > deadline:
                raise AssertionError(f"no message on {self.queue} within {timeout} s")
            self.connection.sleep(0.2)

    def count(self) -> int:
        return self.channel.queue_declare(self.queue, passive=True).method.message_count

    def publish(self, routing_key: str, body: dict, *, headers: dict | None = None) -> str:
        """Publish as another application would (fedora-messaging's headers), return its id."""
        message_id = str(uuid.uuid4())
        self.channel.basic_publish(
            self.exchange,
            routing_key,
            json.dumps(body).encode(),
            pika.BasicProperties(
                content_type="application/json",
                content_encoding="utf-8",
                delivery_mode=2,
                message_id=message_id,
                headers={
                    "fedora_messaging_schema": "base.message",
                    "fedora_messaging_severity": 20,
                    "sent-at": "2026-11-25T10:00:00+00:00",
                    **(headers or {}),
                },
            ),
        )
        return message_id

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.channel.exchange_delete(self.exchange)
        with contextlib.suppress(Exception):
            self.connection.close()


class Relay:
    """A TCP relay 127.0.0.1:<port> -> RabbitMQ that can cut every connection and refuse more."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            self.port = probe.getsockname()[1]
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@{HOST}:{self.port}/%2F"

    def start(self) -> Relay:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, self.port))
        listener.listen(16)
        self._listener = listener
        self._thread = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._thread.start()
        return self

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection((HOST, PORT), timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pairs.append((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """The broker goes away: every connection dropped, new ones refused."""
        if self._listener is not None:
            # shutdown() wakes the accept() blocked in the relay's thread (close() would not).
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for s in pair:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()

    def restore(self) -> None:
        self.start()

    @contextlib.contextmanager
    def running(self) -> Iterator[Relay]:
        self.start()
        try:
            yield self
        finally:
            self.cut()
