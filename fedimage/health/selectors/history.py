"""Health over time: state changes in a window (the agenda), build cadence (the charts)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Max
from django.db.models.functions import TruncWeek

from fedimage.health.models import DigestRecord, StateChange, TagState, WatchedImage


def state_changes_between(*, since: datetime, until: datetime) -> list[StateChange]:
    """Every tag state change in (since, until], oldest first, with its tag and image."""
    return list(
        StateChange.objects.filter(at__gt=since, at__lte=until)
        .select_related("tag__image")
        .order_by("at", "id")
    )


def active_image_keys() -> list[tuple[int, str]]:
    """(pk, key) of every watched image, in the order the pages list them."""
    return list(
        WatchedImage.objects.filter(active=True).order_by("order", "key").values_list("pk", "key")
    )


def active_image_names() -> list[tuple[str, str]]:
    """(key, name) of every watched image, in the order the pages list them (filter choices)."""
    return list(
        WatchedImage.objects.filter(active=True).order_by("order", "key").values_list("key", "name")
    )


def builds_per_week(*, start: datetime, end: datetime) -> list[tuple[int, datetime, int]]:
    """(image pk, week, builds) counted by the database: one row per image and week, whatever
    the number of tags and builds."""
    return list(
        DigestRecord.objects.filter(
            tag__active=True, tag__image__active=True, first_seen__gte=start, first_seen__lte=end
        )
        .annotate(week=TruncWeek("first_seen"))
        .values_list("tag__image_id", "week")
        .annotate(n=Count("id"))
        .values_list("tag__image_id", "week", "n")
    )


def last_build_by_image() -> dict[int, datetime]:
    """Each active image's newest build: a tag's current digest is its newest, no history read."""
    return dict(
        TagState.objects.filter(active=True, image__active=True)
        .values_list("image_id")
        .annotate(last=Max("digest_seen_at"))
        .values_list("image_id", "last")
    )
