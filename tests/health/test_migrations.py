"""Upgrading a database with recorded history: the new summaries are filled from it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.health.oci import sha256_digest

BEFORE = [("health", "0002_digest_record_thinned")]
AFTER = [("health", "0004_fill_poll_summaries")]
NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)
INDEX = "application/vnd.oci.image.index.v1+json"


def _details(created: str) -> dict:
    return {
        arch: {
            "os": "linux", "variant": None, "manifest": sha256_digest(f"{arch}{created}".encode()),
            "config": sha256_digest(f"c{arch}{created}".encode()), "created": created,
            "version": "44.1", "layers": [sha256_digest(arch.encode())], "base_name": None,
            "base_digest": None,
        }
        for arch in ("amd64", "arm64")
    }  # fmt: skip


@pytest.fixture(autouse=True)
def back_to_the_latest_migrations():
    """Leave the database migrated to the newest migrations, whatever comes after 0004."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_upgrade_fills_strips_cadence_build_times_and_digest_facts_from_history() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    image = old.get_model("health", "WatchedImage").objects.create(
        key="img", name="Img", registry="quay.io", repository="fedora/x", tags=["44", "repro"]
    )
    TagState = old.get_model("health", "TagState")
    built = NOW - timedelta(days=1)
    digests = [sha256_digest(f"d{n}".encode()) for n in range(3)]
    fresh = TagState.objects.create(
        image=image, tag="44", digest=digests[2], state="healthy", built_at=built,
        media_type=INDEX, checked_at=NOW,
    )  # fmt: skip
    repro = TagState.objects.create(image=image, tag="repro", digest=digests[0], state="stale")
    DigestRecord = old.get_model("health", "DigestRecord")
    for n, digest in enumerate(digests):
        DigestRecord.objects.create(
            tag=fresh, digest=digest, media_type=INDEX, first_seen=NOW - timedelta(days=3 - n),
            built_at=built - timedelta(days=2 - n), details=_details(built.isoformat()),
        )  # fmt: skip
    DigestRecord.objects.create(
        tag=repro, digest=digests[0], media_type=INDEX, first_seen=NOW,
        details=_details("1970-01-01T00:00:00+00:00"),
    )  # fmt: skip
    Sample = old.get_model("health", "Sample")
    for n in range(30):
        Sample.objects.create(tag=fresh, at=NOW - timedelta(minutes=10 * n), state="healthy")

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    try:
        _check_filled(new, digests, built)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def _check_filled(new, digests: list[str], built: datetime) -> None:
    fresh = new.get_model("health", "TagState").objects.get(tag="44")
    repro = new.get_model("health", "TagState").objects.get(tag="repro")
    facts = new.get_model("health", "DigestFacts").objects

    assert len(fresh.recent) == 24
    assert fresh.recent[-1] == [NOW.isoformat(), "healthy"]
    assert fresh.cadence == timedelta(days=1)
    assert fresh.arch_builds["amd64"] == {"at": built.isoformat(), "source": "config", "note": ""}
    top = facts.get(digest=digests[2])
    assert [p["architecture"] for p in top.platforms] == ["amd64", "arm64"]
    assert facts.filter(digest__in=[p["digest"] for p in top.platforms]).count() == 2
    # Judged by the epoch: read again (labels included) on the next poll.
    assert repro.digest == ""
