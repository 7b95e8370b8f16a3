"""Benchmark: render the main pages with a growing initiative, and count their SQL queries.

    .venv/bin/python bench/pages.py [--blockers 1000]

Loads the real initiative file into a throwaway SQLite database, files N blockers (each
changed twice, so the history holds 3N records), then renders each page 20 times through
Django's test client and prints the median time, the SQL queries per render and the peak
memory of the process.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = [
    "/",
    "/releases/f45/",
    "/milestones/production-base-images/",
    "/subprojects/coreos/",
    "/blockers/",
    "/changes/",
    "/api/blockers/",
    "/api/milestones/",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blockers", type=int, default=1000)
    parser.add_argument("--renders", type=int, default=20)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="fedimage-bench-")
    os.environ.update(
        DEBUG="1",
        FEDIMAGE_VAR_DIR=workdir,
        DJANGO_SETTINGS_MODULE="fedimage.settings",
        ALLOWED_HOSTS="testserver",
    )
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from fedimage.core.initiative_file import load_initiative_file
    from fedimage.initiative.models import Milestone, Subproject
    from fedimage.initiative.services import blocker_file, blocker_update

    call_command("migrate", verbosity=0)
    load_initiative_file(ROOT / "initiative.toml")
    user = get_user_model().objects.create_superuser("bench", password=None)
    milestones = list(Milestone.objects.all())
    subprojects = list(Subproject.objects.all())
    started = time.perf_counter()
    for i in range(args.blockers):
        blocker = blocker_file(
            reporter=user,
            title=f"Benchmark blocker {i}",
            description="Some *Markdown* text.",
            milestones=[milestones[i % len(milestones)]],
            subprojects=[subprojects[i % len(subprojects)]],
        )
        blocker_update(blocker=blocker, user=user, status="in_progress")
        blocker_update(blocker=blocker, user=user, severity="critical" if i % 7 == 0 else "minor")
    print(
        f"filed {args.blockers} blockers with 3 history records each in "
        f"{time.perf_counter() - started:.1f} s"
    )

    client = Client()
    client.force_login(user)
    print(f"{'page':40} {'median ms':>10} {'queries':>8}")
    for url in PAGES:
        timings = []
        for _ in range(args.renders):
            reset_queries()
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        print(f"{url:40} {statistics.median(timings):10.1f} {len(ctx.captured_queries):8}")
    # Memory is measured in a pass of its own: tracing allocations slows rendering down.
    tracemalloc.start()
    for url in PAGES:
        client.get(url)
    _, peak = tracemalloc.get_traced_memory()
    print(f"peak Python memory while rendering one of each: {peak / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
