"""Build times: config.created when believable, else the created label, else the version's date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fedimage.health.models import BuildTimeSource, HealthState
from fedimage.health.services import image_poll
from fedimage.health.services.buildtime import choose_build_time, date_in_version
from tests.health.factories import tag_state, watch
from tests.health.oci import TWO_ARCHES, OciPusher, iso
from tests.health.registry_server import RegistryServer

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
LABEL = "2026-11-29T09:00:00Z"


@pytest.mark.parametrize(
    ("created", "text", "source", "at", "note"),
    [
        (NOW - timedelta(hours=2), "x", BuildTimeSource.CONFIG, NOW - timedelta(hours=2), ""),
        (None, None, BuildTimeSource.LABEL, datetime(2026, 11, 29, 9, tzinfo=UTC),
         "config.created is missing"),
        (datetime(1970, 1, 1, tzinfo=UTC), "1970-01-01T00:00:00Z", BuildTimeSource.LABEL,
         datetime(2026, 11, 29, 9, tzinfo=UTC), "config.created is 1970-01-01T00:00:00Z"),
        (datetime(1, 1, 1, tzinfo=UTC), "0001-01-01T00:00:00Z", BuildTimeSource.LABEL,
         datetime(2026, 11, 29, 9, tzinfo=UTC), "config.created is 0001-01-01T00:00:00Z"),
        (NOW + timedelta(days=3), "later", BuildTimeSource.LABEL,
         datetime(2026, 11, 29, 9, tzinfo=UTC), "config.created is later"),
        (None, "yesterday", BuildTimeSource.LABEL, datetime(2026, 11, 29, 9, tzinfo=UTC),
         "config.created 'yesterday' is unreadable"),
    ],
)  # fmt: skip
def test_config_created_is_used_only_when_plausible(created, text, source, at, note) -> None:
    build = choose_build_time(
        created=created, created_text=text, label_created=LABEL, version="44.20261101.0", now=NOW
    )

    assert (build.source, build.at, build.note) == (source, at, note)


def test_the_version_date_is_the_last_resort_and_nothing_plausible_is_unknown() -> None:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    by_version = choose_build_time(
        created=epoch, created_text="1970-01-01T00:00:00Z", label_created="garbage",
        version="44.20261101.0", now=NOW,
    )  # fmt: skip
    unknown = choose_build_time(
        created=epoch, created_text="1970-01-01T00:00:00Z", label_created="1970-01-01T00:00:00Z",
        version="44.1", now=NOW,
    )  # fmt: skip

    assert (by_version.source, by_version.at) == (
        BuildTimeSource.VERSION,
        datetime(2026, 11, 1, tzinfo=UTC),
    )
    assert (unknown.source, unknown.at) == (BuildTimeSource.UNKNOWN, None)


@pytest.mark.parametrize(
    ("version", "day"),
    [
        ("44.20260501.0", datetime(2026, 5, 1, tzinfo=UTC)),
        ("2026-05-01", datetime(2026, 5, 1, tzinfo=UTC)),
        ("rawhide-20261231.n.2", datetime(2026, 12, 31, tzinfo=UTC)),
        ("44.20261340.0", None),
        ("44.1", None),
        ("1.2.3", None),
    ],
)
def test_a_date_is_found_in_a_version_label(version: str, day: datetime | None) -> None:
    assert date_in_version(version) == day


# Against the real registry


@pytest.mark.django_db
def test_reproducible_build_at_the_epoch_takes_its_build_time_from_the_created_label(
    registry: RegistryServer, pusher: OciPusher, repo: str, now: datetime
) -> None:
    built = (now - timedelta(hours=3)).replace(microsecond=0)
    pusher.push_multiarch(
        repo, "44", architectures=TWO_ARCHES, created="1970-01-01T00:00:00Z",
        labels={"org.opencontainers.image.created": iso(built)},
    )  # fmt: skip
    image = watch(registry, repo, max_age_hours=48, grace_hours=0)

    image_poll(image=image, now=now)

    state = tag_state(image)
    assert state.state == HealthState.HEALTHY
    assert (state.built_at, state.built_source) == (built, BuildTimeSource.LABEL)
    assert state.reason == (
        "built 3 hours ago (from its org.opencontainers.image.created label: config.created is "
        "1970-01-01T00:00:00Z), all 2 expected architectures"
    )
    assert state.blocker is None  # never called stale, so no false blocker


@pytest.mark.django_db
def test_build_time_falls_back_to_the_date_in_the_version_label(
    registry: RegistryServer, pusher: OciPusher, repo: str, now: datetime
) -> None:
    day = (now - timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
    pusher.push_multiarch(
        repo, "44", architectures=TWO_ARCHES, created=None, version=f"44.{day:%Y%m%d}.0"
    )
    image = watch(registry, repo, max_age_hours=24)

    image_poll(image=image, now=now)

    state = tag_state(image)
    assert (state.built_at, state.built_source) == (day, BuildTimeSource.VERSION)
    assert state.state == HealthState.STALE
    assert f"(from the date in its version 44.{day:%Y%m%d}.0: config.created is missing)" in (
        state.reason
    )
