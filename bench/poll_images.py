"""Benchmark: image polling against the real registry, beside the HEAD floor and skopeo.

    .venv/bin/python bench/poll_images.py [--tags 200] [--repos 10] [--modes anonymous,token]
        [--database-url postgres://postgres@127.0.0.1:5432/fedimage_bench_poll]
        [--redis-url redis://127.0.0.1:6379/14] [--no-celery] [--no-skopeo]

For each mode (an anonymous registry, and one that demands bearer tokens from its own token
realm) it starts `docker-registry` with its access log on, pushes `--tags` tags into `--repos`
repositories, every tag its own build (distinct digests): a third of the repositories hold
two-architecture OCI indexes, a third Docker manifest lists, a third single-platform OCI
manifests. Every image expects a cosign signature; every tenth tag has none. Then, side by side:

- the floor: a HEAD per tag over one keep-alive connection (token mode: one token per repository
  first, counted), what any poller must at least ask;
- fedimage's first poll (every digest new), in process as the worker runs it;
- its unchanged re-poll, in process, and through the Celery path (a real worker on the `health`
  queue, two processes, the real Redis broker, runs asked for as beat asks for them);
- a `skopeo inspect` loop and a `skopeo inspect --raw` loop over the same tags.

Requests are counted on the server side: the registry's access log and the token realm's own
count. SQL statements are counted for the in-process polls. The database is dropped and created
again (PostgreSQL, the hard case); the Redis database given is flushed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MANIFEST_ACCEPT = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)


@dataclass
class Row:
    label: str
    wall: float
    requests: int
    tokens: int = 0
    sql: int | None = None


def access_count(server) -> int:
    """Requests the registry has answered so far (its access log has one line per request)."""
    return sum(1 for line in server.log_text().splitlines() if " HTTP/1" in line and '"' in line)


def settled_count(server) -> int:
    """The access-log count once the registry has written everything (it writes asynchronously)."""
    last, stable_since = access_count(server), time.monotonic()
    while time.monotonic() - stable_since < 0.3:
        time.sleep(0.05)
        now = access_count(server)
        if now != last:
            last, stable_since = now, time.monotonic()
    return last


def fresh_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tags", type=int, default=200)
    parser.add_argument("--repos", type=int, default=10)
    parser.add_argument("--modes", default="anonymous,token")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/fedimage_bench_poll"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--no-celery", action="store_true")
    parser.add_argument("--no-skopeo", action="store_true")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="fedimage-bench-poll-"))
    fresh_database(args.database_url)
    os.environ.update(
        DEBUG="1",
        FEDIMAGE_VAR_DIR=str(work / "var"),
        DJANGO_SETTINGS_MODULE="fedimage.settings",
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
        CELERY_BROKER_URL=args.redis_url,
        HEALTH_POLL_INTERVAL_SECONDS="86400",
    )
    import django

    django.setup()
    import logging

    for name in ("httpx", "httpcore", "fedimage"):
        logging.getLogger(name).setLevel(logging.WARNING)
    from django.core.cache import cache
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    cache.clear()

    print(
        f"{args.tags} tags in {args.repos} repositories, each tag its own build; OCI indexes, "
        "Docker manifest lists and single manifests; signatures expected, every 10th missing"
    )
    for mode in args.modes.split(","):
        rows = run_mode(mode, args, work / mode)
        print_table(mode, rows, args.tags)


def run_mode(mode: str, args: argparse.Namespace, work: Path) -> list[Row]:
    import httpx
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fedimage.health.clients.registry import close_shared_http_clients
    from fedimage.health.models import PollRun, TagState, WatchedImage
    from fedimage.health.services import image_poll
    from tests.health.oci import BearerAuth, OciPusher
    from tests.health.registry_server import RegistryServer, TokenServer

    class CountingRegistry(RegistryServer):
        def config(self) -> dict:
            config = super().config()
            config["log"] = {"level": "info", "accesslog": {"disabled": False}}
            return config

    WatchedImage.objects.all().delete()
    cache.clear()
    close_shared_http_clients()
    token_server = TokenServer(work / "token").start() if mode == "token" else None
    registry = CountingRegistry(
        work / "registry",
        token_realm=token_server.realm if token_server else None,
        cert=token_server.cert if token_server else None,
    ).start()
    rows: list[Row] = []
    try:
        auth = BearerAuth() if token_server else None
        refs = push_tags(registry, auth, args, OciPusher, httpx)
        images = list(WatchedImage.objects.order_by("key"))
        total = sum(len(tags) for _, tags in refs)

        def measure(label: str, action: Callable[[], None], *, sql: bool) -> Row:
            before = settled_count(registry)
            tokens_before = len(token_server.requests) if token_server else 0
            started = time.perf_counter()
            if sql:
                with CaptureQueriesContext(connection) as queries:
                    action()
            else:
                action()
            wall = time.perf_counter() - started
            row = Row(
                label,
                wall,
                settled_count(registry) - before,
                (len(token_server.requests) - tokens_before) if token_server else 0,
                len(queries.captured_queries) if sql else None,
            )
            print(f"  [{mode}] {label}: {wall:.2f} s, {row.requests} requests", flush=True)
            return row

        def head_floor() -> None:
            with httpx.Client(base_url=registry.url, timeout=30) as http:
                for repo, tags in refs:
                    headers = {"Accept": MANIFEST_ACCEPT}
                    if token_server:
                        answer = http.get(
                            token_server.realm,
                            params={"service": "fedimage-test-registry",
                                    "scope": f"repository:{repo}:pull"},
                        )  # fmt: skip
                        headers["Authorization"] = f"Bearer {answer.json()['token']}"
                    for tag in tags:
                        http.head(f"/v2/{repo}/manifests/{tag}", headers=headers).raise_for_status()

        def poll_in_process() -> None:
            for image in images:
                report = image_poll(image=image)
                if report.throttled:
                    raise SystemExit(f"throttled: {report.throttled}")

        rows.append(measure("HEAD loop (the floor)", head_floor, sql=False))
        rows.append(measure("fedimage first poll", poll_in_process, sql=True))
        states = Counter(TagState.objects.values_list("state", flat=True))
        rows.append(measure("fedimage re-poll, unchanged", poll_in_process, sql=True))
        if not args.no_celery:
            with CeleryWorker(work):
                from fedimage.health.models import PollTrigger
                from fedimage.health.services import polls_request

                def poll_through_celery() -> None:
                    polls_request(images=images, trigger=PollTrigger.SCHEDULE)
                    wait_for(
                        lambda: not PollRun.objects.filter(finished_at__isnull=True).exists(),
                        f"{len(images)} polls through Celery",
                    )

                # One poll to warm the worker's processes (imports, connections, its tokens).
                poll_through_celery()
                rows.append(measure("fedimage re-poll via Celery", poll_through_celery, sql=False))
        if not args.no_skopeo:
            skopeo_refs = [f"{registry.host}/{repo}:{tag}" for repo, tags in refs for tag in tags]
            for raw in (False, True):
                label = "skopeo inspect --raw loop" if raw else "skopeo inspect loop"

                def skopeo(raw: bool = raw) -> None:
                    for ref in skopeo_refs:
                        command = ["skopeo", "inspect", "--tls-verify=false"]
                        command += ["--raw"] if raw else []
                        subprocess.run([*command, f"docker://{ref}"], check=True,
                                       capture_output=True)  # fmt: skip

                rows.append(measure(label, skopeo, sql=False))
        print(f"  [{mode}] states after the first poll: {states}; {total} tags")
    finally:
        close_shared_http_clients()
        registry.stop()
        if token_server:
            token_server.stop()
    return rows


def push_tags(registry, auth, args, oci_pusher, httpx) -> list[tuple[str, list[str]]]:
    """Push every tag as its own build; create the watched images; return (repo, tags)."""
    from fedimage.health.models import TagState, WatchedImage

    per_repo = args.tags // args.repos
    refs = []
    with httpx.Client(base_url=registry.url, timeout=60, auth=auth) as http:
        pusher = oci_pusher(http)
        for r in range(args.repos):
            repo = f"bench/image-{r}"
            kind = ("oci-index", "docker-list", "single")[r % 3]
            arches = ["amd64"] if kind == "single" else ["amd64", "arm64"]
            tags = [f"44.{r}.{t}" for t in range(per_repo)]
            for t, tag in enumerate(tags):
                version = f"44.2026{r:02d}{t:02d}.0"
                if kind == "single":
                    pushed = pusher.push_image(repo, tag, version=version)
                else:
                    pushed = pusher.push_multiarch(
                        repo, tag, architectures=arches, version=version,
                        docker=kind == "docker-list",
                    )  # fmt: skip
                if t % 10 != 9:
                    pusher.push_cosign_signature(repo, pushed.digest)
            image = WatchedImage.objects.create(
                key=f"image-{r}", name=f"Image {r}", registry=registry.host, repository=repo,
                tags=tags, expected_arches=arches, max_age_hours=24 * 365 * 5, insecure=True,
                signature_expected=True,
            )  # fmt: skip
            TagState.objects.bulk_create(
                TagState(image=image, tag=tag, order=i) for i, tag in enumerate(tags)
            )
            refs.append((repo, tags))
    return refs


class CeleryWorker:
    """A real Celery worker on the health queue, two processes, against the same services."""

    def __init__(self, work: Path) -> None:
        self.work = work

    def __enter__(self) -> CeleryWorker:
        from django.db import connections

        connections.close_all()
        self.log = (self.work / "worker.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "fedimage", "worker", "-Q", "health",
             "-c", "2", "--loglevel", "WARNING", "--without-gossip", "--without-mingle"],
            cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, env=os.environ.copy(),
        )  # fmt: skip
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.05)


def print_table(mode: str, rows: list[Row], total: int) -> None:
    floor = rows[0].wall
    print(f"\n{mode}: {total} tags")
    print(f"{'':32}{'wall':>9}{'x floor':>9}{'requests':>10}{'tokens':>8}{'per tag':>9}{'SQL':>7}")
    for row in rows:
        per_tag = (row.requests + row.tokens) / total
        sql = "" if row.sql is None else str(row.sql)
        print(
            f"{row.label:32}{row.wall:>8.2f}s{row.wall / floor:>9.1f}{row.requests:>10}"
            f"{row.tokens:>8}{per_tag:>9.2f}{sql:>7}"
        )
    print()


if __name__ == "__main__":
    main()
