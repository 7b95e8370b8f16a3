"""Sample data (`make demo`): which rows are samples, the banner saying so, their removal.

Every row the demo adds is recorded here (core.SampleRecord), whatever its app, so one
command removes exactly those and nothing a user or a sync added. Pages show a banner while
sample data exists; the flag lives in the cache (no query per page), set when samples are
added and cleared when they are removed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import models, transaction

from fedimage.core import pagecache
from fedimage.core.models import SampleRecord

FLAG = "fedimage:sample-data"


def mark(objects: Iterable[models.Model]) -> None:
    """Record `objects` as sample data (again is harmless)."""
    records = [
        SampleRecord(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)
        for obj in objects
    ]
    SampleRecord.objects.bulk_create(records, ignore_conflicts=True)
    transaction.on_commit(_added)


def _added() -> None:
    cache.set(FLAG, True, timeout=None)
    pagecache.bump_all()  # cached pages get the banner


def ids(model: type[models.Model]) -> models.QuerySet[SampleRecord, Any]:
    """The primary keys of `model`'s sample rows, as a subquery (`exclude(pk__in=...)`)."""
    return SampleRecord.objects.filter(
        content_type=ContentType.objects.get_for_model(model)
    ).values("object_id")


def present() -> bool:
    """Whether sample data is shown (the banner); reads the cache only."""
    return bool(cache.get(FLAG))


@transaction.atomic
def remove() -> dict[str, int]:
    """Delete every sample row, the last added first; return rows deleted by model label."""
    deleted: dict[str, int] = {}
    order = (
        SampleRecord.objects.values("content_type")
        .annotate(last=models.Max("id"))
        .order_by("-last")
        .values_list("content_type", flat=True)
    )
    for type_id in list(order):
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None:
            continue
        rows = SampleRecord.objects.filter(content_type_id=type_id).values("object_id")
        _, by_label = model._default_manager.filter(pk__in=rows).delete()
        for label, count in by_label.items():
            deleted[label] = deleted.get(label, 0) + count
    SampleRecord.objects.all().delete()
    transaction.on_commit(_removed)
    return deleted


def _removed() -> None:
    cache.delete(FLAG)
    pagecache.bump_all()
