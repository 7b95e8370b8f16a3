"""Benchmark: sync local fake trackers holding 10,000 issues, calmly and under adversity.

    .venv/bin/python bench/sync_trackers.py [--issues 10000] [--kind gitlab github forgejo]
        [--only calm|adversity] [--database-url postgres://...]

Each fake tracker runs in its own process (its memory and CPU are not the sync's), with the
real wire format, pagination and headers. The sync writes into a throwaway SQLite database by
default, or PostgreSQL with --database-url.

Calm: wall time, requests and peak RSS of the first sync (every issue new), an incremental
re-sync with nothing changed (twice: the second is GitHub's conditional request), and a full
listing with nothing changed.

Adversity: a first sync while the tracker refuses every 10th request with 429 (Retry-After: 1)
and a writer edits an issue `--writes-per-second` times a second (5 by default; every 10th
write creates one, every 25th deletes one); then the writer stops and one incremental sync
runs. Printed: the requests the
listing sent against the floor (the pages 10,000 issues need), wall time, and the difference
from the tracker's ground truth (missing, extra, stale) after that run and after the next.
Beside it, the same adversity against a bare python-gitlab listing (`list(iterator=True)`,
which pages by offset and sleeps on 429 itself).
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROJECTS = {
    "gitlab": "fedora/bootc/tracker",
    "github": "bootc-dev/bootc",
    "forgejo": "atomic-desktops/tracker",
}
PAGE = {"gitlab": 100, "github": 100, "forgejo": 50}  # what each tracker serves a page
RATE_LIMIT_EVERY = 10


def serve(kind: str, count: int, writes_per_second: float, conn: Any) -> None:
    """Run one fake tracker with `count` issues and answer commands (in a child process)."""
    from tests.trackers.fakes import FakeForgejo, FakeGitHub, FakeGitLab

    cls = {"gitlab": FakeGitLab, "github": FakeGitHub, "forgejo": FakeForgejo}[kind]
    fake = cls(rate_limit=10**9) if kind == "github" else cls()
    project = PROJECTS[kind]
    for n in range(count):
        fake.add_issue(
            project,
            labels=["bug"] if n % 3 else ["area/install", "triaged"],
            assignees=["nimbinatus"] if n % 5 == 0 else [],
            milestone="Fedora 44" if n % 2 else None,
            body="Steps to reproduce:\n" * 5,
        )
    writing = threading.Event()
    stop = threading.Event()

    def writer() -> None:
        rng = random.Random(42)  # which issue to edit, not a secret
        writes = 0
        while not stop.is_set():
            if not writing.wait(0.1):
                continue
            time.sleep(1 / writes_per_second)
            with fake.lock:
                writes += 1
                numbers = [n for (p, n) in fake.issues if p == project]
                if writes % 25 == 0:
                    fake.delete_issue(project, rng.choice(numbers))
                elif writes % 10 == 0:
                    fake.add_issue(project, title=f"created by the writer ({writes})")
                else:
                    fake.update_issue(project, rng.choice(numbers), title=f"edit {writes}")

    threading.Thread(target=writer, daemon=True).start()
    with fake:
        conn.send(fake.url)
        while True:
            command, *args = conn.recv()
            if command == "adversity":
                fake.rate_limit_every = RATE_LIMIT_EVERY if args[0] else None
                fake.rate_limit_retry_after = 1
                (writing.set if args[0] else writing.clear)()
                conn.send("ok")
            elif command == "stats":
                conn.send((fake.served, fake.rate_limited_answers))
            elif command == "truth":
                with fake.lock:
                    conn.send(
                        {
                            (i.project, i.number): (i.title, i.state, list(i.labels), i.updated_at)
                            for i in fake.issues.values()
                            if not i.is_pull_request
                        }
                    )
            else:
                stop.set()
                conn.send("bye")
                return


class Fake:
    """A fake tracker in a child process, driven through a pipe."""

    def __init__(self, kind: str, count: int, writes_per_second: float = 1.0) -> None:
        ctx = multiprocessing.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=serve, args=(kind, count, writes_per_second, child), daemon=True
        )
        self.process.start()
        self.url: str = self.conn.recv()

    def ask(self, *command: Any) -> Any:
        self.conn.send(command)
        return self.conn.recv()

    def close(self) -> None:
        self.ask("stop")
        self.process.join(timeout=10)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def diff(truth: dict, held: dict) -> tuple[int, int, int]:
    missing = len(set(truth) - set(held))
    extra = len(set(held) - set(truth))
    stale = sum(1 for k in set(truth) & set(held) if truth[k] != held[k])
    return missing, extra, stale


def setup_django(database_url: str) -> None:
    work = Path(tempfile.mkdtemp(prefix="fedimage-bench-"))
    os.environ.update(
        DEBUG="1", FEDIMAGE_VAR_DIR=str(work / "var"), DJANGO_SETTINGS_MODULE="fedimage.settings"
    )
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def held_issues(source: Any) -> dict:
    from trackers.models import TrackedIssue

    return {
        (i.project, i.number): (i.title, i.state, i.labels, i.updated_at)
        for i in TrackedIssue.objects.filter(source=source, removed=False)
    }


def calm(kind: str, count: int) -> list[tuple]:
    from trackers import services
    from trackers.models import TrackedIssue, TrackerSource

    fake = Fake(kind, count)
    source = TrackerSource.objects.create(
        name=f"calm-{kind}", kind=kind, base_url=fake.url, project=PROJECTS[kind]
    )
    rows = []
    for label, full in (
        ("first sync (all new)", False),
        ("re-sync, no change", False),
        ("again (GitHub: ETag, 304)", False),
        ("full listing, no change", True),
    ):
        started = time.perf_counter()
        run = services.source_sync(source=source, full=full, trigger="bench")
        wall = time.perf_counter() - started
        rows.append((kind, label, wall, run.requests, run.created, run.status, peak_rss_mib()))
    held = TrackedIssue.objects.filter(source=source).count()
    assert held == count, (kind, held)
    fake.close()
    return rows


def adversity(kind: str, count: int, writes: float) -> tuple:
    from trackers import services
    from trackers.models import TrackerSource

    fake = Fake(kind, count, writes)
    source = TrackerSource.objects.create(
        name=f"adversity-{kind}", kind=kind, base_url=fake.url, project=PROJECTS[kind]
    )
    fake.ask("adversity", True)
    started = time.perf_counter()
    run = services.source_sync(source=source, trigger="bench")
    wall = time.perf_counter() - started
    _, refused = fake.ask("stats")
    fake.ask("adversity", False)
    after_run = diff(fake.ask("truth"), held_issues(source))
    again = services.source_sync(source=source, trigger="bench")
    after_next = diff(fake.ask("truth"), held_issues(source))
    fake.close()
    floor = math.ceil(count / PAGE[kind])
    return (
        f"fedimage {kind}",
        run.requests,
        refused,
        run.pages,
        floor,
        wall,
        run.waited,
        after_run,
        again.requests,
        after_next,
    )


def python_gitlab_adversity(count: int, writes: float) -> tuple:
    import gitlab

    fake = Fake("gitlab", count, writes)
    gl = gitlab.Gitlab(fake.url, retry_transient_errors=True)
    project = gl.projects.get(PROJECTS["gitlab"], lazy=True)
    fake.ask("adversity", True)
    before, _ = fake.ask("stats")
    started = time.perf_counter()
    listing = project.issues.list(iterator=True, per_page=100, order_by="updated_at", sort="asc")
    listed = list(listing)
    wall = time.perf_counter() - started
    served, refused = fake.ask("stats")
    fake.ask("adversity", False)
    truth = fake.ask("truth")
    got = {}
    for issue in listed:
        a = issue.attributes
        state = "open" if a["state"] == "opened" else "closed"
        got[(PROJECTS["gitlab"], a["iid"])] = (
            a["title"], state, list(a["labels"]), datetime.fromisoformat(a["updated_at"])
        )  # fmt: skip
    fake.close()
    floor = math.ceil(count / 100)
    pages = served - before - refused
    return (
        "python-gitlab listing",
        served - before,
        refused,
        pages,
        floor,
        wall,
        None,
        diff(truth, got),
        None,
        None,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument(
        "--kind", nargs="+", default=["gitlab", "github", "forgejo"], choices=sorted(PROJECTS)
    )
    parser.add_argument("--only", choices=["calm", "adversity"])
    parser.add_argument(
        "--writes-per-second", type=float, default=5.0, help="the writer's pace under adversity"
    )
    parser.add_argument("--database-url", default="", help="default: a throwaway SQLite file")
    args = parser.parse_args()

    setup_django(args.database_url)
    from trackers.sync import pipeline

    db = "PostgreSQL" if args.database_url else "SQLite"
    if args.only != "adversity":
        rows = [row for kind in args.kind for row in calm(kind, args.issues)]
        print(f"Calm: {args.issues} issues per tracker, {db}, page size {pipeline.PAGE_SIZE}")
        print(
            f"{'tracker':9}{'run':28}{'wall':>9}{'requests':>10}{'created':>9}"
            f"{'status':>14}{'peak RSS':>11}"
        )
        for kind, label, wall, requests, created, status, rss in rows:
            print(
                f"{kind:9}{label:28}{wall:>8.2f}s{requests:>10}{created:>9}"
                f"{status:>14}{rss:>8.0f} MiB"
            )
        print()
    if args.only != "calm":
        writes = args.writes_per_second
        results = []
        for kind in args.kind:
            results.append(adversity(kind, args.issues, writes))
            print(f"  ({kind} done: {results[-1]})", file=sys.stderr, flush=True)
        if "gitlab" in args.kind:
            results.append(python_gitlab_adversity(args.issues, writes))
        print(
            f"Adversity: {args.issues} issues, a 429 (Retry-After: 1) every "
            f"{RATE_LIMIT_EVERY}th request, {writes:g} writes/s during the listing; "
            f"{db}"
        )
        print(
            "pages: listing pages read (floor: the pages the issues need); other: requests "
            "besides them and the 429s (board, sizing count, deletion check); diff: missing/"
            "extra/stale against the tracker"
        )
        print(
            f"{'':24}{'pages':>6}{'floor':>6}{'ratio':>6}{'other':>6}{'429s':>6}{'wall':>8}"
            f"{'waited':>7}{'diff after run':>16}{'next run':>9}{'diff after it':>15}"
        )
        for name, sent, refused, pages, floor, wall, waited, after, again, after2 in results:
            other = sent - refused - pages
            print(
                f"{name:24}{pages:>6}{floor:>6}{pages / floor:>6.2f}{other:>6}{refused:>6}"
                f"{wall:>7.1f}s{'' if waited is None else f'{waited:.0f}s':>7}"
                f"{'/'.join(map(str, after)):>16}{'' if again is None else again:>9}"
                f"{'' if after2 is None else '/'.join(map(str, after2)):>15}"
            )


if __name__ == "__main__":
    main()
