"""Sample upstream issues and a board, as a sync would have recorded them (`make demo`).

The sample sources are disabled: beat never syncs them (their trackers are made up), and
their issues stay readable like those of any source the file dropped.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models

from fedimage.initiative.models import Subproject
from trackers.models import IssueState, RunKind, RunStatus, SyncRun, TrackedIssue, TrackerSource
from trackers.sync.mapping import board_column, label_index

BOARD = ["To Do", "Doing", "Review"]

# (source name, kind, base URL, project, upstream, board)
SOURCES = [
    (
        "sample-tracker",
        "gitlab",
        "https://gitlab.example.org",
        "fedora/bootc/tracker",
        False,
        BOARD,
    ),
    ("sample-bootc", "github", "https://api.github.com", "sample-bootc-dev/bootc", True, []),
]  # fmt: skip

# (source, number, title, state, labels, milestone, assignees, days since created, since updated)
ISSUES = [
    ("sample-tracker", 84, "Konflux release race leaves rawhide-standard unpublished", "open",
     ["f45", "Doing", "konflux"], "Fedora 45", ["sample-jkonecny"], 60, 1),
    ("sample-tracker", 91, "Sign the official base images with cosign", "open",
     ["f45", "To Do", "signing"], "Fedora 45", [], 45, 6),
    ("sample-tracker", 97, "Document bootc switch from Fedora CoreOS", "open",
     ["f44", "Review", "docs"], "Fedora 44", ["sample-travier"], 30, 2),
    ("sample-tracker", 102, "Nightly rawhide tag missing aarch64 for two days", "closed",
     ["f45", "releng"], "Fedora 45", ["sample-ppisar"], 20, 12),
    ("sample-tracker", 105, "Atomic desktops: aarch64 builds for Sway and Budgie", "open",
     ["f45", "To Do"], "Fedora 45", [], 14, 14),
    ("sample-tracker", 108, "Image-mode installer in Anaconda WebUI", "open",
     ["stretch"], "", [], 9, 3),
    ("sample-tracker", 110, "Quay expiry for dated nightly tags", "closed",
     ["infra"], "Fedora 44", ["sample-kevin"], 40, 25),
    ("sample-bootc", 1412, "install to-disk fails on s390x DASD", "closed",
     ["bug", "area/install"], "", ["sample-cgwalters"], 70, 8),
    ("sample-bootc", 1450, "bootc upgrade --check reports wrong version for composefs", "open",
     ["bug"], "", [], 21, 4),
    ("sample-bootc", 1467, "Support logically bound images in bootc switch", "open",
     ["enhancement"], "", ["sample-ckyrouac"], 16, 1),
]  # fmt: skip


def seed(*, now: datetime) -> list[models.Model]:
    """Create the sample sources, their issues and a few weeks of sync runs; return the sources
    (their issues and runs go with them)."""
    rows: list[models.Model] = []
    base = Subproject.objects.filter(key="base-images").first()
    sources: dict[str, TrackerSource] = {}
    for order, (name, kind, url, project, upstream, board) in enumerate(SOURCES, start=90):
        source = TrackerSource.objects.create(
            name=name,
            kind=kind,
            base_url=url,
            project=project,
            upstream=upstream,
            subproject=base,
            enabled=False,
            order=order,
            board_name="Development (sample)" if board else "",
            board_columns=board,
            last_run_at=now - timedelta(minutes=4),
            last_success_at=now - timedelta(minutes=4),
            cursor=now - timedelta(minutes=5),
        )
        sources[name] = source
        rows.append(source)
    for name, number, title, state, labels, milestone, assignees, age, quiet in ISSUES:
        source = sources[name]
        closed = state == IssueState.CLOSED
        site = source.web_url
        path = "-/issues" if source.kind == "gitlab" else "issues"
        TrackedIssue.objects.create(
            source=source,
            project=source.project,
            number=number,
            title=title,
            body="Sample issue made up by `make demo`.",
            state=state,
            labels=labels,
            label_index=label_index(labels),
            milestone=milestone,
            assignees=assignees,
            author="sample-author",
            web_url=f"{site}/{path}/{number}",
            created_at=now - timedelta(days=age),
            updated_at=now - timedelta(days=quiet),
            closed_at=now - timedelta(days=quiet) if closed else None,
            board_column=board_column(labels, state, source.board_columns),
            first_seen_at=now - timedelta(days=age),
            synced_at=now - timedelta(minutes=4),
        )
    for source in sources.values():
        held = TrackedIssue.objects.filter(source=source)
        source.issues_held = held.count()
        source.issues_open = held.filter(state=IssueState.OPEN).count()
        for day in range(21, -1, -1):
            started = now - timedelta(days=day, minutes=4)
            run = SyncRun.objects.create(
                source=source,
                trigger="beat",
                started_at=started,
                kind=RunKind.FULL if day % 7 == 0 else RunKind.INCREMENTAL,
                status=RunStatus.OK if day != 9 else RunStatus.FAILED,
                finished_at=started + timedelta(seconds=3),
                duration=timedelta(seconds=3),
                created=1 if day % 5 == 0 else 0,
                updated=2 if day % 3 == 0 else 0,
                requests=2,
                pages=1,
                error="TrackerUnavailable: connection timed out (sample)" if day == 9 else "",
            )
        source.last_run = run
        source.save(update_fields=["issues_held", "issues_open", "last_run"])
    return rows
