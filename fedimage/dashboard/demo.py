"""`make demo`: sample data, so a new user sees a living dashboard offline.

Blockers and a few weeks of their history, milestone and migration timelines, upstream issues
on a board, image health with four weeks of history, a past weekly meeting. Every row added is
recorded as a sample (fedimage.core.samples): pages show a banner while any exist, and
`seed_demo --remove` deletes exactly them, putting back what the timelines changed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from fedimage.core import samples
from fedimage.dashboard import sample_health, sample_meeting, sample_upstream
from fedimage.health.models import WatchedImage
from fedimage.initiative.models import (
    Blocker,
    BlockerStatus,
    Category,
    Migration,
    Milestone,
    MilestoneStatus,
    Severity,
    Stage,
    Subproject,
)
from fedimage.initiative.rules import LEAD_GROUP
from fedimage.initiative.services import save_with_history
from fedimage.meetings.models import Meeting
from trackers.models import TrackerSource

REASON = "demo"  # the history records the demo writes say so

# (title, severity, category, status, milestone keys, subproject keys, tracking URL, description)
BLOCKERS = [
    (
        "Release race condition in Konflux leaves rawhide-standard unpublished",
        Severity.CRITICAL,
        Category.KONFLUX,
        BlockerStatus.IN_PROGRESS,
        ["beta-base-images", "production-base-images"],
        ["base-images"],
        "https://gitlab.com/fedora/bootc/tracker/-/issues/84",
        "Since 2026-01-12 the **rawhide-standard** Konflux image has not been published: "
        "two release "
        "pipelines race and the second one fails.\n\nEvery subproject consuming the base image is "
        "stuck on an old rawhide build until this is fixed.",
    ),
    (
        "Switch to building and shipping the base images via Konflux",
        Severity.MAJOR,
        Category.RELENG,
        BlockerStatus.OPEN,
        ["clean-dev-pipeline", "production-pipeline"],
        ["base-images"],
        "https://gitlab.com/fedora/bootc/base-images/-/issues/51",
        "The official images still come from the nightly Pungi IoT compose. "
        "The production pipeline "
        "needs Konflux to build and push them, with release engineering's sign-off.",
    ),
    (
        "Official base images are not signed",
        Severity.MAJOR,
        Category.INFRASTRUCTURE,
        BlockerStatus.OPEN,
        ["production-base-images"],
        ["base-images", "silverblue", "kinoite"],
        "",
        "quay.io/fedora/fedora-bootc carries no cosign signature and no simple-signing signature. "
        "Production images must be verifiable: pick a signing scheme with infrastructure.",
    ),
    (
        "Atomic Desktops variants missing aarch64 builds",
        Severity.MINOR,
        Category.RELENG,
        BlockerStatus.OPEN,
        ["beta-subproject-artifacts"],
        ["sway-atomic", "budgie-atomic"],
        "https://forge.fedoraproject.org/atomic-desktops/tracker/issues",
        "Sway Atomic and Budgie Atomic publish x86_64 only. "
        "Decide whether aarch64 is in scope for F45.",
    ),
    (
        "bootc install to-disk fails on s390x with DASD",
        Severity.MAJOR,
        Category.BOOTC,
        BlockerStatus.FIXED_UPSTREAM,
        ["production-base-images"],
        ["base-images"],
        "https://github.com/bootc-dev/bootc/issues",
        "`bootc install to-disk` cannot partition DASD devices. "
        "Fixed upstream in bootc; waiting for "
        "the release to reach Fedora.",
    ),
    (
        "No documentation for switching a CoreOS node to the shared base image",
        Severity.MINOR,
        Category.DOCUMENTATION,
        BlockerStatus.RESOLVED,
        ["beta-subproject-artifacts"],
        ["coreos"],
        "https://github.com/coreos/fedora-coreos-tracker/issues",
        "Users asked how `bootc switch` interacts with Zincati. Docs landed.",
    ),
    (
        "Image hosting quota on quay.io/fedora for nightly tags",
        Severity.MAJOR,
        Category.INFRASTRUCTURE,
        BlockerStatus.RESOLVED,
        ["image-hosting"],
        ["base-images"],
        "",
        "Nightly dated tags would exceed the organisation's storage. Agreed on a 4-week expiry.",
    ),
]

STATUS_TIMELINE = [
    # (milestone key, days ago, status, note)
    ("image-hosting", 240, MilestoneStatus.ON_TRACK, "Quay organisation agreed."),
    ("image-hosting", 200, MilestoneStatus.DONE, "Images hosted at quay.io/fedora with expiry."),
    ("clean-dev-pipeline", 250, MilestoneStatus.ON_TRACK, ""),
    ("clean-dev-pipeline", 180, MilestoneStatus.AT_RISK, "Konflux release race (tracker#84)."),
    (
        "clean-dev-pipeline",
        30,
        MilestoneStatus.SLIPPED,
        "Still not clean; moved into the F45 cycle.",
    ),
    ("beta-base-images", 230, MilestoneStatus.ON_TRACK, ""),
    ("beta-base-images", 150, MilestoneStatus.DONE, "Nightly rawhide and 44 tags published."),
    (
        "beta-subproject-artifacts",
        160,
        MilestoneStatus.AT_RISK,
        "Desktops not yet on the base image.",
    ),
    (
        "production-pipeline",
        90,
        MilestoneStatus.BLOCKED,
        "Waiting on the Konflux switch (base-images#51).",
    ),
    ("production-base-images", 60, MilestoneStatus.AT_RISK, "Signing undecided."),
    (
        "production-subproject-artifacts",
        20,
        MilestoneStatus.AT_RISK,
        "Only CoreOS close to production.",
    ),
    ("universal-installer", 45, MilestoneStatus.NOT_STARTED, "Stretch; nobody assigned."),
    ("sig-created", 10, MilestoneStatus.ON_TRACK, "Draft SIG proposal circulating."),
]

STAGE_TIMELINE = [
    ("coreos", 120, Stage.BETA, "fedora-coreos next built FROM fedora-bootc."),
    ("iot", 40, Stage.DEVELOPMENT, "Development builds consume fedora-bootc."),
    ("silverblue", 12, Stage.BETA, "Nightly Silverblue on the base image."),
]


def _user(username: str, *, password: str | None, lead: bool = False) -> tuple[User, bool]:
    user, created = get_user_model().objects.get_or_create(username=username)
    if password:
        user.set_password(password)
        user.save(update_fields=["password"])
    elif created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    if lead:
        group, _ = Group.objects.get_or_create(name=LEAD_GROUP)
        user.groups.add(group)
    return user, created


@transaction.atomic
def seed_demo(*, password: str | None = None) -> dict[str, int]:
    """Add sample data, every row of it recorded as a sample; running it again adds nothing."""
    now = timezone.now()
    lead, lead_created = _user("demo-lead", password=password, lead=True)
    member, member_created = _user("demo-stakeholder", password=password)
    samples.mark(u for u, created in ((lead, lead_created), (member, member_created)) if created)
    counts = {"blockers": 0, "status changes": 0, "stage changes": 0}
    if not Milestone.history.filter(history_change_reason=REASON).exists():
        counts["status changes"], counts["stage changes"] = _timelines(lead, now)
    blockers = _blockers(lead, member, now)
    counts["blockers"] = len(blockers)
    counts["tracker sources"] = counts["images"] = counts["meetings"] = 0
    if not TrackerSource.objects.filter(name=sample_upstream.SOURCES[0][0]).exists():
        samples.mark(sample_upstream.seed(now=now))
        counts["tracker sources"] = len(sample_upstream.SOURCES)
    if not WatchedImage.objects.filter(key="sample-fedora-bootc").exists():
        samples.mark([sample_health.seed(now=now)])
        counts["images"] = 1
    if not Meeting.objects.filter(title=sample_meeting.TITLE).exists():
        ours = {b.title: b for b in Blocker.objects.filter(pk__in=samples.ids(Blocker))}
        meeting = sample_meeting.seed(now=now, lead=lead, member=member, blockers=ours)
        samples.mark([meeting])
        counts["meetings"] = 1
    return counts


def _timelines(lead: User, now: datetime) -> tuple[int, int]:
    milestones = {m.key: m for m in Milestone.objects.all()}
    migrations = {m.subproject.key: m for m in Migration.objects.select_related("subproject")}
    statuses = stages = 0
    for key, days, status, note in STATUS_TIMELINE:
        m = milestones.get(key)
        if m is None:
            continue
        m.status, m.status_note = status, note
        m.status_confirmed_at = now - timedelta(days=days)
        m._history_date = m.status_confirmed_at  # type: ignore[attr-defined]
        save_with_history(m, user=lead, reason=REASON)
        statuses += 1
    for key, days, stage, note in STAGE_TIMELINE:
        mg = migrations.get(key)
        if mg is None:
            continue
        mg.stage, mg.note, mg.confirmed_at = stage, note, now - timedelta(days=days)
        mg._history_date = mg.confirmed_at  # type: ignore[attr-defined]
        save_with_history(mg, user=lead, reason=REASON)
        stages += 1
    return statuses, stages


def _blockers(lead: User, member: User, now: datetime) -> list[Blocker]:
    milestones = {m.key: m for m in Milestone.objects.all()}
    subprojects = {s.key: s for s in Subproject.objects.all()}
    added = []
    for i, (title, severity, category, status, ms, sps, url, text) in enumerate(BLOCKERS):
        if Blocker.objects.filter(title=title).exists():
            continue
        filed = now - timedelta(days=100 - 12 * i)
        blocker = Blocker(
            title=title,
            description=text,
            severity=severity,
            category=category,
            reporter=member if i % 2 else lead,
            owner=lead if i % 3 == 0 else None,
            tracking_url=url,
            created_at=filed,
        )
        blocker._history_date = filed  # type: ignore[attr-defined]
        save_with_history(
            blocker,
            user=blocker.reporter,
            reason=REASON,
            created=True,
            m2m={
                "milestones": [milestones[k] for k in ms if k in milestones],
                "subprojects": [subprojects[k] for k in sps if k in subprojects],
            },
        )
        if status != BlockerStatus.OPEN:
            blocker.status = status
            if status in (BlockerStatus.RESOLVED, BlockerStatus.WONT_FIX):
                blocker.closed_at = now - timedelta(days=3 * i)
            blocker._history_date = now - timedelta(days=3 * i)  # type: ignore[attr-defined]
            save_with_history(blocker, user=lead, reason=REASON)
        added.append(blocker)
    samples.mark(added)
    return added


@transaction.atomic
def remove_demo() -> dict[str, int]:
    """Remove every sample row and the sample history; what users and syncs added stays."""
    blocker_ids = list(samples.ids(Blocker).values_list("object_id", flat=True))
    for model, fields in ((Milestone, STATUS_FIELDS), (Migration, STAGE_FIELDS)):
        _restore(model, fields)
    deleted = samples.remove()
    # The sample blockers' history (their deletion writes one more record), and the demo's.
    Blocker.history.filter(id__in=blocker_ids).delete()  # type: ignore[attr-defined]
    for model in (Milestone, Migration, Blocker):
        model.history.filter(history_change_reason=REASON).delete()  # type: ignore[attr-defined]
    return deleted


STATUS_FIELDS = ("status", "status_note", "status_confirmed_at")
STAGE_FIELDS = ("stage", "note", "confirmed_at")


def _restore(model: type[Milestone] | type[Migration], fields: tuple[str, ...]) -> None:
    """Put back what the demo's timeline changed, unless someone changed it since."""
    history = model.history  # type: ignore[attr-defined]
    touched = history.filter(history_change_reason=REASON).values_list("id", flat=True)
    for obj in model.objects.filter(pk__in=set(touched)):
        # Insertion order: the demo backdates its records.
        records = list(history.filter(id=obj.pk).order_by("-history_id"))
        if not records or records[0].history_change_reason != REASON:
            continue  # a real change came after the demo's: keep it
        before = next((r for r in records if r.history_change_reason != REASON), None)
        if before is None:
            continue
        for name in fields:
            setattr(obj, name, getattr(before, name))
        obj.skip_history_when_saving = True  # type: ignore[attr-defined]
        try:
            obj.save(update_fields=list(fields))
        finally:
            del obj.skip_history_when_saving  # type: ignore[attr-defined]
