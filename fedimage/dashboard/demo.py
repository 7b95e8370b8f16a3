"""Realistic sample blockers and a few weeks of history, so a new user sees a living dashboard."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

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


def _user(username: str, *, password: str | None, lead: bool = False):
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
    return user


@transaction.atomic
def seed_demo(*, password: str | None = None) -> dict[str, int]:
    """Add sample blockers and backdated history; running it again adds nothing twice."""
    now = timezone.now()
    lead = _user("demo-lead", password=password, lead=True)
    member = _user("demo-stakeholder", password=password)
    counts = {"blockers": 0, "status changes": 0, "stage changes": 0}
    milestones = {m.key: m for m in Milestone.objects.all()}
    migrations = {m.subproject.key: m for m in Migration.objects.select_related("subproject")}

    if not Milestone.history.filter(history_change_reason="demo").exists():
        for key, days, status, note in STATUS_TIMELINE:
            m = milestones.get(key)
            if m is None:
                continue
            m.status, m.status_note = status, note
            m.status_confirmed_at = now - timedelta(days=days)
            m._history_date = m.status_confirmed_at
            save_with_history(m, user=lead, reason="demo")
            counts["status changes"] += 1
        for key, days, stage, note in STAGE_TIMELINE:
            mg = migrations.get(key)
            if mg is None:
                continue
            mg.stage, mg.note, mg.confirmed_at = stage, note, now - timedelta(days=days)
            mg._history_date = mg.confirmed_at
            save_with_history(mg, user=lead, reason="demo")
            counts["stage changes"] += 1

    subprojects = {s.key: s for s in Subproject.objects.all()}
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
        blocker._history_date = filed
        save_with_history(
            blocker,
            user=blocker.reporter,
            reason="demo",
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
            blocker._history_date = now - timedelta(days=3 * i)
            save_with_history(blocker, user=lead, reason="demo")
        counts["blockers"] += 1
    return counts
