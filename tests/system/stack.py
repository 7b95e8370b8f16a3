"""fedimage as its operators run it: the web server, Celery workers and beat as OS processes.

A `Stack` starts them with the production settings (`fedimage.settings`, DEBUG off) against
the test database and a Redis, each process logging to a file of its own, and stops them all
(their whole process groups) at the end. Tests drive them from outside: HTTP requests, the
database, signals.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
QUEUES = ("default", "trackers", "health", "notifications")
# What a clean run never logs. An unreachable tracker or registry is an outcome on the page,
# a retry is one INFO line: neither is any of these.
ERROR_MARKERS = ("ERROR", "CRITICAL", "Traceback", "Couldn't apply scheduled task")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def alive(self) -> bool:
        return self.popen.poll() is None

    def children(self) -> list[int]:
        found = subprocess.run(
            ["pgrep", "-P", str(self.pid)], capture_output=True, text=True, check=False
        )
        return [int(pid) for pid in found.stdout.split()]

    def kill_group(self, sig: int = signal.SIGKILL) -> None:
        """Signal the process and everything it started (a container or a unit being killed)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, sig)

    def stop(self, timeout: float = 20) -> None:
        if self.alive():
            self.kill_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=timeout)
        self.kill_group(signal.SIGKILL)
        if self.alive():
            self.popen.wait(timeout=10)

    def error_lines(self) -> list[str]:
        return [line for line in self.log().splitlines() if any(m in line for m in ERROR_MARKERS)]


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str]

    def text(self) -> str:
        return self.body.decode(errors="replace")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Stack:
    workdir: Path
    env: dict[str, str]
    processes: list[Process] = field(default_factory=list)
    port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # processes ---------------------------------------------------------------------------

    def start(self, name: str, argv: list[str], **env: str) -> Process:
        log_path = self.workdir / f"{name}.log"
        with log_path.open("ab") as log:
            popen = subprocess.Popen(
                argv,
                cwd=ROOT,
                env={**self.env, **env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = Process(name, popen, log_path)
        self.processes.append(process)
        return process

    def manage(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stderr[-3000:]}"
        return result

    def web(self) -> Process:
        process = self.start(
            "web",
            [
                str(BIN / "gunicorn"), "fedimage.wsgi",
                "--bind", f"127.0.0.1:{self.port}",
                "--workers", "2",
                "--timeout", "60",
            ],
        )  # fmt: skip
        self.wait(lambda: self.get("/healthz").status == 200, "the web server answering", process)
        return process

    def worker(
        self,
        name: str = "worker",
        *,
        queues: Iterable[str] = QUEUES,
        concurrency: int = 1,
        **env: str,
    ) -> Process:
        process = self.start(
            name,
            [
                str(BIN / "celery"), "-A", "fedimage", "worker",
                "--loglevel", "INFO",
                "--concurrency", str(concurrency),
                "--hostname", f"{name}@%h",
                "--queues", ",".join(queues),
                "--without-gossip", "--without-mingle", "--without-heartbeat",
                "--include", "tests.system.busy",
            ],
            **env,
        )  # fmt: skip
        self.wait(lambda: " ready." in process.log(), f"{name} ready", process)
        return process

    def beat(self) -> Process:
        return self.start(
            "beat",
            [
                str(BIN / "celery"), "-A", "fedimage", "beat",
                "--loglevel", "INFO",
                "--schedule", str(self.workdir / "beat-schedule"),
            ],
        )  # fmt: skip

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            process.stop()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{p.log()[-4000:]}" for p in self.processes)

    # waiting -------------------------------------------------------------------------------

    def wait(
        self,
        condition: Callable[[], Any],
        what: str,
        *watched: Process,
        timeout: float = 120,
    ) -> Any:
        """Poll `condition` until it is truthy; fail with the logs if it is not in time, or
        at once if a watched process exits."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = condition()
            except (OSError, AssertionError):
                value = None
            if value:
                return value
            for process in watched:
                if not process.alive():
                    raise AssertionError(
                        f"{process.name} exited waiting for {what}:\n{self.logs()}"
                    )
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}:\n{self.logs()}")
            time.sleep(0.25)

    # HTTP ----------------------------------------------------------------------------------

    def request(
        self,
        path: str,
        *,
        method: str = "GET",
        data: Any = None,
        token: str | None = None,
        timeout: float = 30,
    ) -> Response:
        headers = {"Host": "127.0.0.1"}
        body = None
        if data is not None:
            body = json.dumps(data).encode()
            headers["Content-Type"] = "application/json"
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.url + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return Response(response.status, response.read(), dict(response.headers))
        except urllib.error.HTTPError as error:
            return Response(error.code, error.read(), dict(error.headers))

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.request(path, **kwargs)
