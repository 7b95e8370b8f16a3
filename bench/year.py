"""A year of fedimage on PostgreSQL: the dataset `bench/pages_load.py` serves.

    .venv/bin/python bench/year.py [--database-url postgres://postgres@127.0.0.1:5432/fedimage_bench]

Drops and recreates the database, migrates, then builds what a year of operation leaves behind:

- the real initiative file plus 35 synthetic watched images (5 tags each: 200 tags in all) and
  the file's 16 tracker sources, loaded by the project's loader;
- 20,000 tracked issues over the 16 sources (bulk inserts shaped as the sync service writes them:
  labels and their `label_index`, board columns, bodies of about 1 KB);
- 1,000 blockers filed and changed through the initiative's services (about 4,000 history
  records), half of them tracking an upstream issue, their dates spread over the year;
- 52 weekly meetings through the meetings services: attendees, votes, review decisions,
  decisions and action items;
- a year of health polls of 200 tags every 10 minutes as the project's thinning leaves them
  (raw for 2 days, the worst per hour to 30 days, per day after: inserted in that shape, then
  `samples_thin` runs and must find nothing more to delete), about 200 digests per tag (a build
  every 43 hours; layer lists thinned by `digests_thin`) and their state changes;
- a year of sync runs, one per source every 5 minutes (1.68 million rows, inserted by SQL
  from one day written by the ORM) and a year of webhook deliveries, then the trackers' own
  retention (`ledger_prune`: every run 7 days, notable ones 90, daily sums after).

Direct SQL and `bulk_create` are used where the services would need a year of wall time (sync
runs, samples, digests, tracked issues); service calls are backdated afterwards by updating their
timestamps and history dates. Prints what it built and how long each part took.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/fedimage_bench"
ISSUES = 20_000
BLOCKERS = 1_000
MEETINGS = 52
TAGS = 200
SYNTHETIC_IMAGES = 35  # x 5 tags, with the real file's 25 tags: 200
DIGEST_EVERY = timedelta(hours=43)
POLL_EVERY = timedelta(minutes=10)
SYNC_EVERY = timedelta(minutes=5)
LABELS = [
    "bug", "enhancement", "kind/bug", "kind/feature", "area/bootc", "area/composefs",
    "area/installer", "f44", "f45", "base-images", "coreos", "iot", "silverblue", "kinoite",
    "docs", "good first issue", "triage", "needs-info", "blocked", "ci",
]  # fmt: skip
TOPICS = ["bootc upgrade", "Konflux pipeline", "composefs", "signing", "installer"]
LOREM = (
    "The image fails to boot when the kernel arguments carry a stale root= entry; bootc "
    "switch keeps the old deployment around and the next update stages on top of it. "
)


def _sha(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def recreate_database(url: str) -> None:
    """Drop and create the database named by `url` (connecting to `postgres` on its server)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(database_url: str, *, redis_url: str = "") -> None:
    workdir = tempfile.mkdtemp(prefix="fedimage-bench-")
    os.environ.update(
        DATABASE_URL=database_url,
        FEDIMAGE_VAR_DIR=os.environ.get("FEDIMAGE_VAR_DIR", workdir),
        DJANGO_SETTINGS_MODULE="fedimage.settings",
        SECRET_KEY=os.environ.get("SECRET_KEY", "bench-" + "x" * 60),
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
    )
    os.environ.setdefault("DEBUG", "0")
    if redis_url:
        os.environ["REDIS_URL"] = redis_url
    else:
        os.environ.pop("REDIS_URL", None)
    os.environ["CELERY_BROKER_URL"] = "memory://"
    import django

    django.setup()


class Step:
    """Print how long one part of the build took."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __enter__(self) -> Step:
        self.t0 = time.perf_counter()
        print(f"  {self.what} ...", end="", flush=True)
        return self

    def __exit__(self, *exc) -> None:
        print(f" {time.perf_counter() - self.t0:.1f} s", flush=True)


def initiative_file(workdir: Path) -> Path:
    """The real initiative file plus synthetic images, so 200 tags are watched."""
    text = (ROOT / "initiative.toml").read_text(encoding="utf-8")
    extra = [
        f"""
[[images]]
key = "bench-image-{i:02d}"
name = "Benchmark image {i:02d}"
registry = "quay.io"
repository = "bench/image-{i:02d}"
tags = ["latest", "44", "45", "rawhide", "stable"]
arches = ["amd64", "arm64"]
max_age_hours = 48
subproject = "base-images"
base = "fedora-bootc"
"""
        for i in range(SYNTHETIC_IMAGES)
    ]
    path = workdir / "initiative.toml"
    path.write_text(text + "".join(extra), encoding="utf-8")
    return path


def build(*, seed: int = 15) -> dict[str, int]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from fedimage.core.initiative_file import load_initiative_file
    from fedimage.health import services as health_services
    from fedimage.health.models import (
        DigestRecord,
        HealthState,
        StateChange,
        TagState,
    )
    from fedimage.initiative import services as initiative_services
    from fedimage.initiative.models import (
        Blocker,
        Migration,
        Milestone,
        MilestoneStatus,
        Subproject,
    )
    from fedimage.meetings import services as meeting_services
    from fedimage.meetings.models import ActionItem, BlockerReview, LogEntry, Meeting, Vote
    from trackers import services as tracker_services
    from trackers.models import (
        IssueState,
        SyncRun,
        TrackedIssue,
        TrackerKind,
        TrackerSource,
        WebhookDelivery,
    )
    from trackers.sync import mapping as tracker_mapping

    rng = random.Random(seed)
    now = timezone.now().replace(microsecond=0)
    year_ago = now - timedelta(days=365)
    counts: dict[str, int] = {}
    workdir = Path(tempfile.mkdtemp(prefix="fedimage-bench-file-"))

    with Step("migrate and load the initiative file (+35 images)"):
        call_command("migrate", verbosity=0)
        load_initiative_file(initiative_file(workdir))
        # Progress by linked tracker issues, as a real initiative would configure it.
        for m in Milestone.objects.filter(migration_stage__isnull=True):
            m.tracker_labels = ["f45"] if m.release.key != "f44" else ["f44"]
            m.save(update_fields=["tracker_labels"])
        for s in Subproject.objects.all():
            s.tracker_labels = [s.key]
            s.save(update_fields=["tracker_labels"])

    User = get_user_model()
    with Step("users (3 leads, 40 members)"):
        lead_group, _ = Group.objects.get_or_create(name="lead")
        leads = []
        for i in range(3):
            u = User.objects.create_user(f"lead{i}", password=None)
            u.groups.add(lead_group)
            leads.append(u)
        members = [User.objects.create_user(f"member{i:02d}", password=None) for i in range(40)]
        bench_user = User.objects.create_superuser("bench", password=None)
        bench_user.groups.add(lead_group)
        people = leads + members

    sources = list(TrackerSource.objects.order_by("pk"))
    with Step(f"{ISSUES:,} tracked issues over {len(sources)} sources"):
        issues = []
        per_source = ISSUES // len(sources)
        for source in sources:
            columns = ["To do", "Doing", "Review"] if source.kind == TrackerKind.GITLAB else []
            if columns:
                source.board_columns = columns
                source.board_name = "Development"
            source.cursor = now - timedelta(minutes=3)
            source.last_run_at = source.last_success_at = now - timedelta(minutes=3)
            source.rate_limit_remaining = 4800
            source.save()
            for n in range(1, per_source + 1):
                created = year_ago + timedelta(seconds=rng.randrange(365 * 86400))
                updated = created + timedelta(
                    seconds=rng.randrange(int((now - created).total_seconds()) + 1)
                )
                closed = rng.random() < 0.6
                labels = rng.sample(LABELS, rng.randrange(0, 4))
                state = IssueState.CLOSED if closed else IssueState.OPEN
                if source.kind == TrackerKind.GITLAB:
                    web = f"https://gitlab.com/{source.project}/-/issues/{n}"
                elif source.kind == TrackerKind.GITHUB:
                    web = f"https://github.com/{source.project}/issues/{n}"
                else:
                    web = f"https://forge.fedoraproject.org/{source.project}/issues/{n}"
                issues.append(
                    TrackedIssue(
                        source=source,
                        project=source.project,
                        number=n,
                        remote_id=source.pk * 1_000_000 + n,
                        title=f"{rng.choice(TOPICS)}: issue {n} of {source.name}",
                        body=LOREM * 5,
                        state=state,
                        labels=labels,
                        label_index=tracker_mapping.label_index(labels),
                        milestone=rng.choice(["", "", "Fedora 44", "Fedora 45"]),
                        assignees=[rng.choice(people).username] if rng.random() < 0.5 else [],
                        author=rng.choice(people).username,
                        web_url=web,
                        created_at=created,
                        updated_at=updated,
                        closed_at=updated if closed else None,
                        board_column=tracker_mapping.board_column(labels, state, columns)
                        if columns
                        else "",
                        confidential=rng.random() < 0.02,
                        first_seen_at=created,
                        synced_at=updated,
                    )
                )
        TrackedIssue.objects.bulk_create(issues, batch_size=2000)
        counts["tracked issues"] = TrackedIssue.objects.count()

    milestones = list(Milestone.objects.all())
    subprojects = list(Subproject.objects.all())
    by_source = {s.pk: s for s in sources}
    tracked = list(TrackedIssue.objects.values_list("source_id", "number", "web_url"))
    with Step(f"{BLOCKERS:,} blockers through the services, with their history"):
        blockers = []
        for i in range(BLOCKERS):
            reporter = rng.choice(people)
            url = rng.choice(tracked)[2] if i % 2 == 0 else ""
            blocker = initiative_services.blocker_file(
                reporter=reporter,
                title=f"Year blocker {i}: {rng.choice(TOPICS)} breaks",
                description=LOREM * 3,
                severity=rng.choice(["critical", "major", "major", "minor", "minor"]),
                category=rng.choice(["bootc", "konflux", "infrastructure", "releng", "other"]),
                milestones=[rng.choice(milestones)],
                subprojects=rng.sample(subprojects, rng.randrange(1, 3)),
                tracking_url=url,
                owner=rng.choice(people) if rng.random() < 0.7 else None,
                private=rng.random() < 0.03,
            )
            initiative_services.blocker_update(blocker=blocker, user=reporter, status="in_progress")
            r = rng.random()
            if r < 0.55:
                initiative_services.blocker_update(
                    blocker=blocker, user=leads[0], status="resolved"
                )
            elif r < 0.62:
                initiative_services.blocker_update(
                    blocker=blocker, user=leads[0], status="wont_fix"
                )
            if rng.random() < 0.3:
                initiative_services.blocker_update(
                    blocker=blocker, user=leads[0], severity="critical"
                )
            blockers.append(blocker)
        # Backdate: filed at a point of the year, each later change some days after.
        HistoricalBlocker = Blocker.history.model
        filed_at: dict[int, datetime] = {}
        rows = []
        for b in blockers:
            filed_at[b.pk] = year_ago + timedelta(seconds=rng.randrange(360 * 86400))
        history = HistoricalBlocker.objects.order_by("id", "history_id").values_list(
            "id", "history_id"
        )
        last_at: dict[int, datetime] = {}
        for pk, hid in history:
            at = last_at.get(pk)
            at = (
                filed_at[pk]
                if at is None
                else min(now, at + timedelta(hours=rng.randrange(2, 24 * 20)))
            )
            last_at[pk] = at
            rows.append((hid, at))
        with connection.cursor() as cur:
            table = HistoricalBlocker._meta.db_table
            cur.executemany(
                f"UPDATE {table} SET history_date = %s WHERE history_id = %s",
                [(at, hid) for hid, at in rows],
            )
            cur.executemany(
                f"UPDATE {Blocker._meta.db_table} SET created_at = %s, updated_at = %s, "
                "closed_at = CASE WHEN closed_at IS NULL THEN NULL ELSE %s END WHERE id = %s",
                [(filed_at[pk], last_at[pk], last_at[pk], pk) for pk in filed_at],
            )
        counts["blockers"] = Blocker.objects.count()
        counts["blocker history records"] = HistoricalBlocker.objects.count()

    with Step("milestone statuses and migration stages changed through the year"):
        Historical = Milestone.history.model
        for m in milestones:
            for _ in range(rng.randrange(2, 6)):
                initiative_services.milestone_set_status(
                    milestone=m,
                    user=leads[0],
                    status=rng.choice(MilestoneStatus.values),
                    note="weekly check",
                )
        HistoricalMigration = Migration.history.model
        for mg in Migration.objects.all():
            for stage in range(mg.stage, 4):
                initiative_services.migration_set_stage(
                    migration=mg, user=leads[1], stage=stage, note="moved"
                )
        with connection.cursor() as cur:
            for model in (Historical, HistoricalMigration):
                ids = list(
                    model.objects.filter(history_type="~").values_list("history_id", flat=True)
                )
                cur.executemany(
                    f"UPDATE {model._meta.db_table} SET history_date = %s WHERE history_id = %s",
                    [
                        (year_ago + timedelta(seconds=rng.randrange(365 * 86400)), hid)
                        for hid in ids
                    ],
                )

    with Step(f"{MEETINGS} weekly meetings with votes, reviews, decisions, action items"):
        first = (now - timedelta(weeks=MEETINGS - 1)).replace(hour=15, minute=0, second=0)
        order = sorted(blockers, key=lambda b: filed_at[b.pk])
        cursor = 0
        review_times: list[tuple[int, datetime]] = []
        vote_times: list[tuple[int, datetime]] = []
        for week in range(MEETINGS):
            starts = first + timedelta(weeks=week)
            meeting = meeting_services.meeting_schedule(user=leads[0], starts_at=starts)
            attendees = rng.sample(people, 8)
            meeting_services.meeting_update(
                meeting=meeting, user=leads[0], attendees=attendees, notes="Notes " * 50
            )
            due = [b for b in order[cursor:] if filed_at[b.pk] < starts]
            cursor += len(due)
            for b in due[:25]:
                for voter in rng.sample(attendees, 4):
                    vote, _ = meeting_services.vote_cast(
                        blocker=b, user=voter, value=rng.choice([1, 1, 0, -1]), comment="seen it"
                    )
                    vote_times.append((vote.pk, starts + timedelta(minutes=rng.randrange(50))))
                review = meeting_services.review_decide(
                    blocker=b,
                    meeting=meeting,
                    user=leads[0],
                    state=rng.choice(["accepted", "accepted", "rejected", "needs_info"]),
                    reason="discussed",
                )
                review_times.append((review.pk, starts + timedelta(minutes=55)))
            for _ in range(2):
                meeting_services.decision_record(
                    meeting=meeting, user=leads[0], text="Agreed to ship the next compose"
                )
                item = meeting_services.action_item_add(
                    meeting=meeting,
                    user=leads[0],
                    owner=rng.choice(people),
                    text="Follow up upstream",
                    due_date=(starts + timedelta(days=7)).date(),
                )
                if week < MEETINGS - 3:
                    meeting_services.action_item_set_status(item=item, user=leads[0], status="done")
        with connection.cursor() as cur:
            cur.executemany(
                f"UPDATE {Vote._meta.db_table} SET cast_at = %s WHERE id = %s",
                [(at, pk) for pk, at in vote_times],
            )
            cur.executemany(
                f"UPDATE {BlockerReview._meta.db_table} SET decided_at = %s WHERE id = %s",
                [(at, pk) for pk, at in review_times],
            )
            cur.execute(
                f"UPDATE {ActionItem._meta.db_table} a SET created_at = m.starts_at, "
                "closed_at = CASE WHEN a.closed_at IS NULL THEN NULL "
                "ELSE m.starts_at + interval '5 days' END "
                f"FROM {Meeting._meta.db_table} m WHERE a.meeting_id = m.id"
            )
            cur.execute(
                f"UPDATE {Meeting._meta.db_table} SET created_at = starts_at - interval '7 days'"
            )
            # The meeting log (what /changes/ and the next agenda show) at the same moments:
            # left at the build's time, every entry of the year fell into the latest agenda.
            log, votes, reviews = (m._meta.db_table for m in (LogEntry, Vote, BlockerReview))
            actions, meetings = ActionItem._meta.db_table, Meeting._meta.db_table
            for sql in (
                f"UPDATE {log} l SET at = v.cast_at FROM {votes} v JOIN {reviews} r"
                " ON r.id = v.review_id WHERE l.kind = 'vote' AND l.blocker_id = r.blocker_id"
                " AND l.actor_id = v.voter_id",
                f"UPDATE {log} l SET at = r.decided_at FROM {reviews} r"
                " WHERE l.kind = 'review' AND l.blocker_id = r.blocker_id",
                f"UPDATE {log} l SET at = m.starts_at + interval '55 minutes' FROM {meetings} m"
                " WHERE l.kind = 'decision' AND l.meeting_id = m.id",
                f"UPDATE {log} l SET at = a.created_at FROM {actions} a"
                " WHERE l.kind = 'action_created' AND l.action_item_id = a.id",
                f"UPDATE {log} l SET at = a.closed_at FROM {actions} a"
                " WHERE l.kind = 'action_status' AND l.action_item_id = a.id"
                " AND a.closed_at IS NOT NULL",
            ):
                cur.execute(sql)
        # One meeting ahead, as on a real Tuesday.
        meeting_services.meeting_schedule(
            user=leads[0], starts_at=first + timedelta(weeks=MEETINGS)
        )
        counts["meetings"] = Meeting.objects.count()
        counts["votes"] = Vote.objects.count()

    tags = list(TagState.objects.select_related("image").order_by("pk"))
    with Step(f"health: {len(tags)} tags, digests every 43 h, thinned by digests_thin"):
        records = []
        changes = []
        for t in tags:
            at = year_ago
            k = 0
            arches = t.image.expected_arches
            while at < now:
                digest = _sha(f"{t.pk}-{k}")
                # Layer lists only where digests_thin keeps them (30 days); older records are
                # written as it leaves them, which it then confirms (it thins what remains).
                full = now - at < timedelta(days=31)
                details = {
                    arch: {
                        "manifest": _sha(f"m{t.pk}-{k}-{arch}"),
                        "config": _sha(f"c{t.pk}-{k}-{arch}"),
                        "created": at.isoformat(),
                        **(
                            {"layers": [_sha(f"l{t.pk}-{j}-{arch}") for j in range(70)]}
                            if full
                            else {"layer_count": 70}
                        ),
                    }
                    for arch in arches
                }
                records.append(
                    DigestRecord(
                        tag=t,
                        digest=digest,
                        media_type="application/vnd.oci.image.index.v1+json",
                        first_seen=at,
                        built_at=at - timedelta(hours=1),
                        version=f"45.{k}",
                        arches=arches,
                        details=details,
                        signed=t.image.signature_expected,
                        thinned=not full,
                    )
                )
                k += 1
                at += DIGEST_EVERY + timedelta(minutes=rng.randrange(-300, 300))
            for j in range(24):
                when = year_ago + timedelta(days=15 * j, hours=rng.randrange(300))
                bad = rng.choice([HealthState.STALE, HealthState.DEGRADED, HealthState.MISSING])
                old, new = (HealthState.HEALTHY, bad) if j % 2 == 0 else (bad, HealthState.HEALTHY)
                changes.append(
                    StateChange(
                        tag=t,
                        at=when,
                        old_state=old,
                        new_state=new,
                        reason="bench",
                        digest=_sha(f"{t.pk}-{j}"),
                    )
                )
            last = records[-1]
            state = (
                HealthState.HEALTHY
                if rng.random() < 0.85
                else rng.choice([HealthState.STALE, HealthState.DEGRADED])
            )
            t.digest, t.media_type, t.digest_seen_at, t.built_at = (
                last.digest,
                last.media_type,
                last.first_seen,
                last.built_at,
            )
            t.version, t.arches, t.signed, t.state = last.version, last.arches, last.signed, state
            t.reason = "" if state == HealthState.HEALTHY else "older than its objective"
            t.checked_at = now - timedelta(minutes=rng.randrange(10))
            t.state_since = now - timedelta(days=rng.randrange(30))
            if len(records) > 5000:
                DigestRecord.objects.bulk_create(records, batch_size=500)
                records = []
        DigestRecord.objects.bulk_create(records, batch_size=500)
        StateChange.objects.bulk_create(changes, batch_size=2000)
        TagState.objects.bulk_update(
            tags,
            [
                "digest",
                "media_type",
                "digest_seen_at",
                "built_at",
                "version",
                "arches",
                "signed",
                "state",
                "reason",
                "checked_at",
                "state_since",
            ],
        )
        thinned = health_services.digests_thin(now=now)
        counts["digest records"] = DigestRecord.objects.count()
        counts["digest records thinned"] = thinned

    with Step("health: a year of polls every 10 min as samples_thin leaves them"):
        with connection.cursor() as cur:
            for start, step in (
                (now - timedelta(days=2), "10 minutes"),
                (now - timedelta(days=30), "1 hour"),
                (year_ago, "1 day"),
            ):
                end = {
                    "10 minutes": now,
                    "1 hour": now - timedelta(days=2),
                    "1 day": now - timedelta(days=30),
                }[step]
                cur.execute(
                    "INSERT INTO health_sample (tag_id, at, state, digest) "
                    "SELECT t.id, g, CASE WHEN random() < 0.04 THEN 'stale' ELSE 'healthy' END, "
                    "t.digest FROM health_tagstate t, generate_series(%s::timestamptz, "
                    "%s::timestamptz - interval '1 second', %s::interval) g",
                    [start, end, step],
                )
        deleted = health_services.samples_thin(now=now)
        from fedimage.health.models import Sample

        counts["samples"] = Sample.objects.count()
        counts["samples deleted by samples_thin (0: already thinned)"] = deleted

    with Step("trackers: a year of sync runs, one per source every 5 min"):
        day = []
        t0 = now - timedelta(days=1)
        for source in sources:
            at = t0
            while at < now:
                failed = rng.random() < 0.01
                changed = not failed and rng.random() < 0.08
                day.append(
                    SyncRun(
                        source=source,
                        kind="incremental",
                        trigger="beat",
                        status="failed" if failed else ("ok" if changed else "not_modified"),
                        started_at=at,
                        finished_at=at + timedelta(seconds=2),
                        duration=timedelta(seconds=2),
                        cursor_before=at - SYNC_EVERY,
                        cursor_after=at,
                        updated=rng.randrange(1, 6) if changed else 0,
                        requests=1,
                        pages=1,
                        rate_limit_remaining=4800 - rng.randrange(200),
                        error="GET https://example.org/api: 502 Bad Gateway" if failed else "",
                        changes=[f"#{rng.randrange(1, 1250)} title changed"] if changed else [],
                    )
                )
                at += SYNC_EVERY
        SyncRun.objects.bulk_create(day, batch_size=2000)
        columns = [f.column for f in SyncRun._meta.concrete_fields if not f.primary_key]
        shifted = {"started_at", "finished_at", "cursor_before", "cursor_after"}
        select = ", ".join(f"{c} - (d * interval '1 day')" if c in shifted else c for c in columns)
        with connection.cursor() as cur:
            cur.execute(
                f"INSERT INTO {SyncRun._meta.db_table} ({', '.join(columns)}) "
                f"SELECT {select} FROM {SyncRun._meta.db_table}, generate_series(1, 364) d"
            )
        counts["sync runs, a year"] = SyncRun.objects.count()

    with Step("trackers: a year of webhook deliveries (40 a day)"):
        deliveries = [
            WebhookDelivery(
                kind=(s := rng.choice(sources)).kind,
                delivery_id=f"d-{i}",
                source=s,
                event="issues",
                issue_number=rng.randrange(1, 1250),
                received_at=year_ago + timedelta(seconds=rng.randrange(365 * 86400)),
            )
            for i in range(40 * 365)
        ]
        WebhookDelivery.objects.bulk_create(deliveries, batch_size=2000)

    with Step("trackers: their own retention (ledger_prune) over the year of runs"):
        prune = getattr(tracker_services, "ledger_prune", None)
        if prune is not None:
            prune(now=now)
            counts["sync runs after the trackers' retention"] = SyncRun.objects.count()
        else:
            counts["sync runs kept (this code has no ledger retention)"] = SyncRun.objects.count()
        counts["webhook deliveries kept"] = WebhookDelivery.objects.count()

    with Step("VACUUM ANALYZE"), connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    _ = by_source
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    args = parser.parse_args()
    recreate_database(args.database_url)
    setup_django(args.database_url)
    t0 = time.perf_counter()
    print(f"Building a year of data in {args.database_url}")
    counts = build()
    for what, n in counts.items():
        print(f"  {what:55} {n:>10,}")
    print(f"built in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
