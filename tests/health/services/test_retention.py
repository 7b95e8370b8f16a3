"""Retention: samples thinned with age, old digests' layer lists dropped."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from fedimage.health.clients.oci import OCI_INDEX
from fedimage.health.models import BaseEvidence, DigestRecord, HealthState, Sample, TagState
from fedimage.health.services import digests_thin, image_poll, samples_thin
from fedimage.health.tasks import thin_samples
from tests.health.factories import WatchedImageFactory, tag_state, watch
from tests.health.oci import TWO_ARCHES, OciPusher, iso, sha256_digest
from tests.health.registry_server import RegistryServer

pytestmark = pytest.mark.django_db

FOUR_ARCHES = ("amd64", "arm64", "ppc64le", "s390x")


def test_thinning_keeps_raw_samples_then_the_worst_one_per_hour_and_per_day(
    registry: RegistryServer, now: datetime
) -> None:
    image = watch(registry, "fedimage-test/thin")
    state = tag_state(image)
    hour_start = (now - timedelta(days=5)).replace(minute=0, second=0, microsecond=0)
    day_start = (now - timedelta(days=60)).replace(hour=0, minute=0, second=0, microsecond=0)
    Sample.objects.bulk_create(
        [
            *(
                Sample(tag=state, at=now - timedelta(minutes=5 * i), state="healthy")
                for i in range(10)
            ),
            *(
                Sample(tag=state, at=hour_start + timedelta(minutes=5 * i), state=s)
                for i, s in enumerate(["healthy", "missing", "healthy", "stale"])
            ),
            *(
                Sample(tag=state, at=day_start + timedelta(hours=i), state=s)
                for i, s in enumerate(["healthy", "stale", "healthy"])
            ),
            Sample(tag=state, at=now - timedelta(days=500), state="healthy"),
        ]
    )

    deleted = samples_thin(now=now)

    assert deleted == 3 + 2 + 1
    assert Sample.objects.filter(at__gte=now - timedelta(days=2)).count() == 10
    kept = set(Sample.objects.filter(at__lt=now - timedelta(days=2)).values_list("at", "state"))
    assert kept == {
        (hour_start + timedelta(minutes=5), "missing"),
        (day_start + timedelta(hours=1), "stale"),
    }


def heavy_details(seed: int) -> dict:
    """Per-architecture details as a bootc build records them: ~20 KB, mostly layer lists."""
    return {
        arch: {
            "os": "linux",
            "variant": None,
            "manifest": sha256_digest(f"{seed}-{arch}-manifest".encode()),
            "config": sha256_digest(f"{seed}-{arch}-config".encode()),
            "created": None,
            "version": "44.20260501.0",
            "layers": [sha256_digest(f"{seed}-{arch}-{n}".encode()) for n in range(70)],
            "base_name": None,
            "base_digest": None,
        }
        for arch in FOUR_ARCHES
    }


def add_daily_builds(state: TagState, *, days: int, until: datetime) -> None:
    DigestRecord.objects.bulk_create(
        DigestRecord(
            tag=state,
            digest=sha256_digest(f"{state.pk}-{day}".encode()),
            media_type=OCI_INDEX,
            first_seen=until - timedelta(days=days - 1 - day),
            built_at=until - timedelta(days=days - 1 - day, hours=1),
            arches=list(FOUR_ARCHES),
            details=heavy_details(day),
            signed=True,
        )
        for day in range(days)
    )


def details_bytes(**filters) -> int:
    return sum(
        len(json.dumps(d))
        for d in DigestRecord.objects.filter(**filters).values_list("details", flat=True)
    )


def test_a_year_of_daily_builds_keeps_its_history_but_not_its_old_layer_lists(
    now: datetime,
) -> None:
    image = WatchedImageFactory()
    state = tag_state(image)
    add_daily_builds(state, days=365, until=now - timedelta(hours=12))  # no build on a boundary
    before = details_bytes(tag=state)
    history = list(
        DigestRecord.objects.filter(tag=state).values_list("digest", "built_at", "arches", "signed")
    )

    thinned = digests_thin(now=now, full_for=timedelta(days=30), keep_latest=5)

    assert thinned == 365 - 30
    assert before > 365 * 20_000
    assert details_bytes(tag=state) < before / 5
    assert details_bytes(tag=state, thinned=True) < 335 * 1_500  # ~1 KB a build once thinned
    # The cadence and digests-over-time history is whole.
    assert (
        list(
            DigestRecord.objects.filter(tag=state).values_list(
                "digest", "built_at", "arches", "signed"
            )
        )
        == history
    )
    oldest = DigestRecord.objects.filter(tag=state).last()
    assert oldest.thinned
    assert oldest.details["amd64"]["layer_count"] == 70
    assert "layers" not in oldest.details["amd64"]
    assert oldest.details["amd64"]["manifest"] == heavy_details(0)["amd64"]["manifest"]
    recent = DigestRecord.objects.filter(tag=state, first_seen__gte=now - timedelta(days=29))
    assert all(len(r.details["s390x"]["layers"]) == 70 for r in recent)
    # A year later, only the newest few per tag keep their layers; a rerun has nothing to do.
    assert digests_thin(now=now + timedelta(days=365), keep_latest=5) == 30 - 5
    assert digests_thin(now=now + timedelta(days=365), keep_latest=5) == 0
    assert DigestRecord.objects.filter(tag=state, thinned=False).count() == 5


def test_base_evidence_for_the_current_digest_survives_thinning(
    registry: RegistryServer, pusher: OciPusher, repo: str, now: datetime
) -> None:
    base_repo, child_repo = f"{repo}-base", f"{repo}-child"
    base_build = pusher.push_multiarch(base_repo, "44", architectures=TWO_ARCHES, created=iso(now))
    base = watch(registry, base_repo)
    child = watch(registry, child_repo, base=base)
    image_poll(image=base, now=now)
    # Docker manifests carry no base annotations: only the layer lists can prove the base.
    pusher.push_multiarch(
        child_repo, "44", architectures=TWO_ARCHES, docker=True, created=iso(now), base=base_build
    )
    image_poll(image=child, now=now)
    assert tag_state(child).base_evidence == BaseEvidence.LAYERS
    # A year of older builds of both, and three newer base builds the child is not built on.
    add_daily_builds(tag_state(base), days=365, until=now - timedelta(days=1))
    add_daily_builds(tag_state(child), days=365, until=now - timedelta(days=1))
    add_daily_builds(tag_state(base), days=3, until=now + timedelta(days=3))
    later = now + timedelta(days=100)

    thinned = digests_thin(now=later, keep_latest=2)

    # Base: the old year and the oldest newer build; child: the old year but its newest.
    assert thinned == (365 + 1) + (365 - 1)
    kept_full = DigestRecord.objects.filter(thinned=False, tag__image__in=[base, child])
    assert kept_full.count() == 2 + 1 + 2  # two newest per tag, plus the base build cited
    assert kept_full.filter(digest=base_build.digest).exists()
    image_poll(image=child, now=later)
    state = tag_state(child)
    assert state.base_evidence == BaseEvidence.LAYERS
    assert state.base_record.digest == base_build.digest
    assert state.builds_behind == 3


def test_daily_thinning_job_thins_samples_and_digests(now: datetime) -> None:
    image = WatchedImageFactory()
    state = tag_state(image)
    add_daily_builds(state, days=60, until=now - timedelta(hours=12))
    Sample.objects.create(tag=state, at=now - timedelta(days=500), state=HealthState.HEALTHY)

    assert thin_samples() == 1 + 60 - 30

    assert not Sample.objects.exists()
    assert DigestRecord.objects.filter(tag=state, thinned=True).count() == 30
