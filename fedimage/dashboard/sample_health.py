"""Sample image health with four weeks of history, as polls would have recorded it (`make demo`).

One image on a made-up registry, three tags: 44 healthy, 45 degraded (its newest build lacks
arm64), rawhide stale (no build for five days). Polls never ask for it (health.selectors
leaves sample images out), and the file's loader leaves it active.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from fedimage.health.models import (
    DigestRecord,
    HealthState,
    PollRun,
    PollStatus,
    PollTrigger,
    Sample,
    StateChange,
    TagState,
    WatchedImage,
)
from fedimage.initiative.models import Subproject

DAYS = 28
EVERY = timedelta(hours=6)
MEDIA = "application/vnd.oci.image.index.v1+json"
ARCHES = ["amd64", "arm64"]

# tag: (state now, since how long, reason, hours since the newest build, arches of it)
TAGS = {
    "44": (HealthState.HEALTHY, timedelta(days=DAYS), "", 10, ARCHES),
    "45": (
        HealthState.DEGRADED,
        timedelta(days=3),
        "arm64 is missing from the newest build (expected amd64, arm64)",
        20,
        ["amd64"],
    ),
    "rawhide": (
        HealthState.STALE,
        timedelta(days=3),
        "newest build is 5 days old (at most 48 hours expected)",
        5 * 24,
        ARCHES,
    ),
}


def _digest(*parts: object) -> str:
    return "sha256:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def seed(*, now: datetime) -> WatchedImage:
    """Create the sample image with its tags' states, builds, samples, changes and poll runs."""
    image = WatchedImage.objects.create(
        key="sample-fedora-bootc",
        name="Fedora bootc (sample data)",
        registry="registry.example.org",
        repository="sample/fedora-bootc",
        tags=list(TAGS),
        expected_arches=ARCHES,
        max_age_hours=48,
        subproject=Subproject.objects.filter(key="base-images").first(),
        notes="Sample data made up by `make demo`.",
        order=900,
    )
    for order, (tag, (state, since, reason, built_hours, arches)) in enumerate(TAGS.items()):
        _tag(
            image,
            tag,
            order,
            state=state,
            since=now - since,
            reason=reason,
            now=now,
            built=now - timedelta(hours=built_hours),
            arches=arches,
        )
    for hours in range(DAYS * 24, -1, -24):
        at = now - timedelta(hours=hours, minutes=5)
        PollRun.objects.create(
            image=image,
            batch=_uuid(at),
            trigger=PollTrigger.SCHEDULE,
            status=PollStatus.DONE,
            queued_at=at,
            started_at=at,
            finished_at=at + timedelta(seconds=2),
            updated_at=at,
            tags_total=3,
            tags_checked=3,
            requests=4,
            message="3 tags (sample)",
        )
    return image


def _uuid(at: datetime) -> str:
    return hashlib.md5(at.isoformat().encode(), usedforsecurity=False).hexdigest()


def _tag(
    image: WatchedImage,
    tag: str,
    order: int,
    *,
    state: str,
    since: datetime,
    reason: str,
    now: datetime,
    built: datetime,
    arches: list[str],
) -> None:
    ts = TagState.objects.create(
        image=image,
        tag=tag,
        order=order,
        state=state,
        reason=reason,
        state_since=since,
        checked_at=now,
    )
    # A build every two days until the newest; each digest first seen an hour after its build.
    builds = [built - timedelta(days=2 * n) for n in range(DAYS // 2)][::-1]
    records = [
        DigestRecord(
            tag=ts,
            digest=_digest(image.key, tag, at),
            media_type=MEDIA,
            first_seen=at + timedelta(hours=1),
            built_at=at,
            built_source="label",
            version=f"{tag}.{at:%Y%m%d}.0",
            arches=arches if at == built else ARCHES,
        )
        for at in builds
    ]
    DigestRecord.objects.bulk_create(records)
    newest = records[-1]
    samples, changes = [], []
    previous = HealthState.HEALTHY
    at = now - timedelta(days=DAYS)
    while at <= now:
        current = state if at >= since else HealthState.HEALTHY
        digest = next((r.digest for r in reversed(records) if r.first_seen <= at), "")
        samples.append(Sample(tag=ts, at=at, state=current, digest=digest))
        if current != previous:
            changes.append(
                StateChange(
                    tag=ts,
                    at=at,
                    old_state=previous,
                    new_state=current,
                    reason=reason,
                    digest=digest,
                )
            )
            previous = current
        at += EVERY
    Sample.objects.bulk_create(samples)
    StateChange.objects.bulk_create(changes)
    ts.digest, ts.media_type, ts.digest_seen_at = newest.digest, MEDIA, newest.first_seen
    ts.built_at, ts.built_source, ts.version, ts.arches = built, "label", newest.version, arches
    ts.arch_builds = {arch: {"at": built.isoformat(), "source": "label"} for arch in arches}
    ts.unhealthy_since = None if state == HealthState.HEALTHY else since
    ts.recent = [[s.at.isoformat(), s.state] for s in samples[-TagState.RECENT_LENGTH :]]
    ts.cadence = timedelta(days=2)
    ts.save()
