"""Benchmark: sync a local fake tracker holding 10,000 issues, then re-sync with no change.

    .venv/bin/python bench/sync_trackers.py [--issues 10000] [--kind gitlab github forgejo]

Each fake tracker runs in its own process (its memory and CPU are not the sync's), holding the
issues with the real wire format, pagination and headers. The sync writes into a throwaway
SQLite database by default, or PostgreSQL with --database-url. For each tracker it prints the
wall time, the HTTP requests the client sent, and the peak RSS of the syncing process for:

- the first (full) sync: every issue is new,
- an incremental re-sync with nothing changed (the beat schedule's steady state), twice: the
  second is GitHub's conditional request (the ETag is kept once the cursor stops moving),
- a full reconcile with nothing changed (the periodic sweep).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROJECTS = {
    "gitlab": "fedora/bootc/tracker",
    "github": "bootc-dev/bootc",
    "forgejo": "atomic-desktops/tracker",
}


def serve(kind: str, count: int, conn) -> None:
    """Run one fake tracker with `count` issues until told to stop (in a child process)."""
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
    with fake:
        conn.send(fake.url)
        conn.recv()


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument(
        "--kind", nargs="+", default=["gitlab", "github", "forgejo"], choices=sorted(PROJECTS)
    )
    parser.add_argument("--database-url", default="", help="default: a throwaway SQLite file")
    args = parser.parse_args()

    # The fakes fork before Django is set up.
    ctx = multiprocessing.get_context("fork")
    fakes = {}
    for kind in args.kind:
        parent, child = ctx.Pipe()
        process = ctx.Process(target=serve, args=(kind, args.issues, child), daemon=True)
        process.start()
        fakes[kind] = (process, parent)

    work = Path(tempfile.mkdtemp(prefix="fedimage-bench-"))
    os.environ.update(
        DEBUG="1", FEDIMAGE_VAR_DIR=str(work / "var"), DJANGO_SETTINGS_MODULE="fedimage.settings"
    )
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    import django

    django.setup()
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from trackers import services
    from trackers.models import TrackedIssue, TrackerSource

    rows = []
    for kind, (process, conn) in fakes.items():
        url = conn.recv()
        source = TrackerSource.objects.create(
            name=f"bench-{kind}", kind=kind, base_url=url, project=PROJECTS[kind]
        )

        def timed(full: bool, source=source):
            started = time.perf_counter()
            run = services.source_sync(source=source, full=full, trigger="bench")
            return time.perf_counter() - started, run

        for label, full in (
            ("first sync (all new)", False),
            ("re-sync, no change", False),
            ("again (GitHub: ETag, 304)", False),
            ("full reconcile, no change", True),
        ):
            wall, run = timed(full)
            rows.append(
                (
                    kind,
                    label,
                    wall,
                    run.requests,
                    run.created,
                    run.updated,
                    run.status,
                    peak_rss_mib(),
                )
            )
        held = TrackedIssue.objects.filter(source=source).count()
        assert held == args.issues, (kind, held)
        conn.send("stop")
        process.join(timeout=10)

    db = "PostgreSQL" if args.database_url else "SQLite"
    print(f"{args.issues} issues per tracker, {db}, page size {services.PAGE_SIZE}")
    print(
        f"{'tracker':9}{'run':28}{'wall':>9}{'requests':>10}{'created':>9}{'updated':>9}"
        f"{'status':>14}{'peak RSS':>11}"
    )
    for kind, label, wall, requests, created, updated, status, rss in rows:
        print(
            f"{kind:9}{label:28}{wall:>8.2f}s{requests:>10}{created:>9}{updated:>9}"
            f"{status:>14}{rss:>8.0f} MiB"
        )


if __name__ == "__main__":
    main()
