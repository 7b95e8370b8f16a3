"""Every main page and API list under load, at a year's scale, beside the server's floor.

    .venv/bin/python bench/pages_load.py [--build] [--duration 20] [--only REGEX]

Serves the database `bench/year.py` builds (built first with --build, or when it is missing)
with gunicorn in production mode (DEBUG off, WhiteNoise's manifest storage, Redis cache, TLS
assumed from `X-Forwarded-Proto` as behind a proxy, API throttles lifted), signed in as a lead
(a session cookie and the CSRF cookie its first page set), and drives each URL with `wrk`
(Debian package `wrk`: keep-alive connections, several at once) for --duration seconds.
Prints, side by side, each URL's requests/s, p50/p95 latency, its ratio to the trivial view
(`/healthz`, through the same middleware, measured first and last), the SQL queries one
request makes as the load leaves the server (page cache warm), the size of its HTML or JSON,
then the time and SQL queries of a render with the page cache off (in-process, median of 3).
The target: ratio >= 0.5 and p50 < 100 ms for every URL, no page above 300 KB.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import year  # noqa: E402 (bench/ is not a package)

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
TRIVIAL = "/healthz"


def urls() -> list[str]:
    """The pages and API lists to drive, with real keys and ids from the dataset."""
    from fedimage.initiative.models import Blocker, Milestone
    from fedimage.meetings.models import Meeting
    from trackers.models import TrackerSource

    milestone = Milestone.objects.filter(migration_stage__isnull=True).order_by("pk").first()
    meetings = list(Meeting.objects.order_by("starts_at").values_list("pk", flat=True))
    board = TrackerSource.objects.exclude(board_columns=[]).order_by("pk").first()
    blocker = Blocker.objects.filter(private=False).order_by("-pk").first()
    return [
        "/",
        "/releases/f45/",
        f"/milestones/{milestone.key}/",
        "/subprojects/coreos/",
        "/blockers/",
        f"/blockers/{blocker.pk}/",
        "/changes/",
        "/health/",
        "/health/images/fedora-bootc/",
        "/trackers/",
        f"/trackers/sources/{board.name}/",
        "/trackers/issues/",
        f"/trackers/boards/{board.name}/",
        "/meetings/",
        f"/meetings/{meetings[-2]}/",
        f"/meetings/{meetings[0]}/",
        f"/meetings/{meetings[-2]}/present/",
        f"/meetings/{meetings[-2]}/minutes/text/",
        "/meetings/reports/",
        "/meetings/reports/upstream/bootc/",
        "/meetings/reports/upstream/bootc/export.md",
        "/meetings/reports/releases/f45/",
        "/meetings/reports/releases/f45/export.csv",
        "/meetings/charts/",
        "/feeds/blockers.atom",
        "/feeds/calendar.ics",
        "/notifications/",
        "/ci/",
        "/api/",
        "/api/releases/",
        "/api/milestones/",
        "/api/subprojects/",
        "/api/migrations/",
        "/api/blockers/",
        f"/api/blockers/{blocker.pk}/",
        "/api/health/images/",
        "/api/health/tags/",
        "/api/trackers/sources/",
        "/api/trackers/issues/",
        "/api/trackers/runs/",
        "/api/ci/runs/",
        "/api/meetings/",
        "/api/meetings/action-items/",
        "/api/meetings/reviews/",
        "/api/reports/upstream/",
        "/api/reports/releases/",
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(base: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}")
        try:
            urllib.request.urlopen(base + TRIVIAL, timeout=2).read()  # noqa: S310 (loopback)
        except OSError:
            time.sleep(0.2)
        else:
            return
    raise SystemExit("gunicorn did not answer in time")


def fetch(base: str, path: str, headers: dict[str, str]) -> tuple[int, int]:
    request = urllib.request.Request(base + path, headers=headers)  # noqa: S310 (loopback)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            return response.status, len(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, len(exc.read())


def worker_pids(master_pid: int) -> list[int]:
    """The gunicorn workers: the master's children."""
    pids = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            if f"PPid:\t{master_pid}\n" in status.read_text():
                pids.append(int(status.parent.name))
        except (OSError, ValueError):
            continue
    return pids


def cpu_ticks(pid: int) -> int:
    """User + system CPU ticks a process has used so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def drive_spread(url: str, *, master_pid: int, tries: int = 3, **kwargs):
    """`drive`, again while wrk's keep-alive connections ended up on one worker.

    gunicorn's gthread workers each accept what they can: now and then one worker takes all of
    wrk's few long-lived connections and the other idles, halving that window's throughput
    whatever the URL (seen with top: one worker at 100%, the other at 0%). Many real clients
    spread over the workers; so a window where the idlest worker did under a quarter of the
    busiest's work is measured again (at most `tries` times), and the result says how often.
    """
    pids = worker_pids(master_pid)
    for attempt in range(1, tries + 1):
        before = [cpu_ticks(p) for p in pids]
        result = drive(url, **kwargs)
        used = [cpu_ticks(p) - b for p, b in zip(pids, before, strict=True)]
        result["tries"] = attempt
        if len(used) < 2 or min(used) * 4 >= max(used):
            break
    return result


def drive(url: str, *, duration: int, connections: int, threads: int, headers: dict[str, str]):
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "30s"]
    command += ["-s", str(ROOT / "bench" / "wrk_report.lua")]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=duration + 90
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("FEDIMAGE "))
    figures = dict(part.split("=") for part in line.split()[1:])
    n = int(figures["requests"])
    seconds = int(figures["duration_us"]) / 1e6
    return {
        "rps": n / seconds if seconds else 0.0,
        "p50": int(figures["p50_us"]) / 1000,
        "p95": int(figures["p95_us"]) / 1000,
        "errors": int(figures["errors"]),
        "requests": n,
    }


def query_count(client, path: str) -> int:
    """SQL queries of one request as the load leaves the server (page cache warm)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path, secure=True)
    with CaptureQueriesContext(connection) as ctx:
        client.get(path, secure=True)
    return len(ctx.captured_queries)


def cold(client, path: str, renders: int = 3) -> tuple[float, int]:
    """Median in-process time (ms) and SQL queries of a render with the page cache off."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings

    timings = []
    with override_settings(PAGE_CACHE_SECONDS=0):
        for _ in range(renders):
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                client.get(path, secure=True)
                timings.append((time.perf_counter() - t0) * 1000)
    return sorted(timings)[len(timings) // 2], len(ctx.captured_queries)


def worker_peak_rss(master_pid: int) -> float:
    """The largest peak resident size (MiB) among the gunicorn workers."""
    peak = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if f"PPid:\t{master_pid}\n" not in text:
            continue
        match = re.search(r"VmHWM:\s+(\d+) kB", text)
        if match:
            peak = max(peak, int(match.group(1)))
    return peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=year.DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL, help="a database it flushes")
    parser.add_argument("--build", action="store_true", help="rebuild the year of data first")
    parser.add_argument("--duration", type=int, default=20, help="seconds per URL")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--worker-threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--only", default="", help="a regular expression on the URL")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: sudo apt-get install wrk")

    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    built = False
    if args.build:
        year.recreate_database(args.database_url)
        built = True
    # The API's per-client throttle (600 a minute) would answer most of one client's load with
    # 429: the bench measures what the server can serve, so it lifts it.
    os.environ.setdefault("API_THROTTLE_ANON", "100000000/minute")
    os.environ.setdefault("API_THROTTLE_USER", "100000000/minute")
    year.setup_django(args.database_url, redis_url=args.redis_url)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    if (
        built
        or not connection.introspection.table_names()
        or not (get_user_model().objects.filter(username="bench").exists())
    ):
        if not built:
            connection.close()
            year.recreate_database(args.database_url)
        print(f"Building a year of data in {args.database_url}")
        for what, n in year.build().items():
            print(f"  {what:55} {n:>10,}")
    else:
        call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)

    client = Client()
    client.force_login(get_user_model().objects.get(username="bench"))
    client.get("/", secure=True)  # a browser holds the CSRF cookie its first page set
    cookie = "; ".join(
        f"{name}={client.cookies[name].value}"
        for name in ("sessionid", "csrftoken")
        if name in client.cookies
    )
    headers = {"Cookie": cookie, "X-Forwarded-Proto": "https", "Accept-Encoding": "identity"}
    paths = [p for p in urls() if re.search(args.only, p)]

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    log_fd, log_name = tempfile.mkstemp(prefix="fedimage-gunicorn-", suffix=".log")
    gunicorn = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "fedimage.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(args.worker_threads),
            "--keep-alive",
            "30",
            "--timeout",
            "120",
        ],
        env=env,
        cwd=ROOT,
        stdout=log_fd,
        stderr=subprocess.STDOUT,
    )
    # Stopped from outside (SIGTERM), the bench still stops its gunicorn (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        wait_up(base, gunicorn)
        print(
            f"gunicorn: {args.workers} workers x {args.worker_threads} threads; wrk: "
            f"{args.threads} threads, {args.connections} connections, {args.duration} s per URL"
        )
        floor = drive_spread(
            base + TRIVIAL,
            master_pid=gunicorn.pid,
            duration=args.duration,
            connections=args.connections,
            threads=args.threads,
            headers=headers,
        )
        header = (
            f"{'URL':44} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'ratio':>6} "
            f"{'SQL':>4} {'KB':>7} {'cold ms':>8} {'SQL':>4}"
        )
        print(header)
        print(f"{TRIVIAL:44} {floor['rps']:8.0f} {floor['p50']:8.1f} {floor['p95']:8.1f} {1:6.2f}")
        rows = []
        for path in paths:
            status, size = fetch(base, path, headers)
            if status != 200:
                print(f"{path:44} HTTP {status}")
                continue
            result = drive_spread(
                base + path,
                master_pid=gunicorn.pid,
                duration=args.duration,
                connections=args.connections,
                threads=args.threads,
                headers=headers,
            )
            queries = query_count(client, path)
            cold_ms, cold_queries = cold(client, path)
            ratio = result["rps"] / floor["rps"]
            flag = "" if ratio >= 0.5 and result["p50"] < 100 and size <= 300_000 else "  <"
            if result["errors"]:
                flag += f" {result['errors']} errors"
            if result["tries"] > 1:
                flag += f" (measured {result['tries']} times: connections on one worker)"
            print(
                f"{path:44} {result['rps']:8.1f} {result['p50']:8.1f} {result['p95']:8.1f} "
                f"{ratio:6.3f} {queries:4} {size / 1024:7.1f} {cold_ms:8.1f} {cold_queries:4}"
                f"{flag}",
                flush=True,
            )
            rows.append((path, result, ratio, queries, size))
        again = drive_spread(
            base + TRIVIAL,
            master_pid=gunicorn.pid,
            duration=args.duration,
            connections=args.connections,
            threads=args.threads,
            headers=headers,
        )
        print(
            f"{TRIVIAL + ' (again)':44} {again['rps']:8.0f} {again['p50']:8.1f} {again['p95']:8.1f}"
        )
        met = sum(
            1
            for _, r, ratio, _, size in rows
            if ratio >= 0.5 and r["p50"] < 100 and size <= 300_000
        )
        print(f"{met} of {len(rows)} URLs meet ratio >= 0.5, p50 < 100 ms, <= 300 KB")
        print(f"peak resident memory of a gunicorn worker: {worker_peak_rss(gunicorn.pid):.0f} MiB")
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        try:
            gunicorn.wait(timeout=30)
        except subprocess.TimeoutExpired:
            gunicorn.kill()
        print(f"gunicorn log: {log_name}")


if __name__ == "__main__":
    main()
