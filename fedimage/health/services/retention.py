"""Retention of health history: samples thinned with age, old digests' layer lists dropped,
digest facts nobody points at any more and old poll runs deleted.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from fedimage.core.retention import delete_in_batches
from fedimage.health.models import (
    STATE_RANK,
    DigestFacts,
    DigestRecord,
    PollRun,
    Sample,
    TagState,
)

# Digest records keep their per-architecture layer lists (~20 KB a build) this long, and the
# newest few per tag keep them whatever their age; older ones keep everything else.
DIGEST_DETAILS_FULL_FOR = timedelta(days=30)
DIGEST_DETAILS_KEEP_LATEST = 5
# Facts of a digest no tag has pointed at for this long are forgotten (read again if it returns).
FACTS_KEPT_FOR = timedelta(days=30)
POLL_RUNS_KEPT_FOR = timedelta(days=7)


def samples_thin(
    *,
    now: datetime | None = None,
    raw_for: timedelta = timedelta(days=2),
    hourly_for: timedelta = timedelta(days=30),
    keep_for: timedelta = timedelta(days=400),
) -> int:
    """Thin old samples: all kept for `raw_for`, then one an hour, then one a day, then none.

    The sample kept in each bucket is the worst one, so a short outage stays visible in the
    history strip; state changes and digests are kept in full elsewhere. Returns rows deleted.
    """
    now = now or timezone.now()
    deleted = delete_in_batches(Sample.objects.filter(at__lt=now - keep_for))
    for start, end, bucket in (
        (now - hourly_for, now - raw_for, "hour"),
        (now - keep_for, now - hourly_for, "day"),
    ):
        doomed: list[int] = []
        best: dict[tuple[int, str], tuple[int, int]] = {}
        rows = (
            Sample.objects.filter(at__gte=start, at__lt=end)
            .order_by("tag_id", "at", "id")
            .values_list("id", "tag_id", "at", "state")
        )
        for pk, tag_id, at, state in rows.iterator(chunk_size=5000):
            key = (tag_id, at.strftime("%Y%m%d%H" if bucket == "hour" else "%Y%m%d"))
            rank = STATE_RANK.get(state, 0)
            kept = best.get(key)
            if kept is None:
                best[key] = (pk, rank)
            elif rank > kept[1]:
                doomed.append(kept[0])
                best[key] = (pk, rank)
            else:
                doomed.append(pk)
        for i in range(0, len(doomed), 5000):
            deleted += Sample.objects.filter(pk__in=doomed[i : i + 5000]).delete()[0]
    return deleted


def digests_thin(
    *,
    now: datetime | None = None,
    full_for: timedelta = DIGEST_DETAILS_FULL_FOR,
    keep_latest: int = DIGEST_DETAILS_KEEP_LATEST,
    batch_size: int = 500,
) -> int:
    """Drop the layer lists of old digest records; return how many records were thinned.

    Kept in full: records first seen within `full_for`, the newest `keep_latest` of each tag
    (a tag's current digest among them) and every base build a tag's evidence points at, so
    base-image evidence for current digests keeps working. A thinned record keeps its digest,
    build time, version, arches, signature and, per architecture, the manifest and config
    digests and base annotations (annotation evidence still matches it); the history and
    cadence pages need nothing more.
    """
    now = now or timezone.now()
    ranked = DigestRecord.objects.annotate(
        rank=Window(
            RowNumber(),
            partition_by=[F("tag_id")],
            order_by=[F("first_seen").desc(), F("id").desc()],
        )
    ).filter(rank__lte=max(keep_latest, 1))
    protected = set(ranked.values_list("pk", flat=True))
    protected.update(
        TagState.objects.filter(base_record__isnull=False).values_list("base_record_id", flat=True)
    )
    rows = (
        DigestRecord.objects.filter(thinned=False, first_seen__lt=now - full_for)
        .order_by("pk")
        .only("pk", "details")
    )
    thinned = 0
    batch: list[DigestRecord] = []
    for record in rows.iterator(chunk_size=batch_size):
        if record.pk in protected:
            continue
        record.details = _details_without_layers(record.details)
        record.thinned = True
        batch.append(record)
        if len(batch) >= batch_size:
            thinned += _save_thinned(batch)
            batch = []
    if batch:
        thinned += _save_thinned(batch)
    return thinned


def _details_without_layers(details: dict[str, Any]) -> dict[str, Any]:
    light: dict[str, Any] = {}
    for key, value in details.items():
        if isinstance(value, dict) and "layers" in value:
            value = {k: v for k, v in value.items() if k != "layers"}
            value["layer_count"] = len(details[key]["layers"] or [])
        light[key] = value
    return light


def _save_thinned(batch: list[DigestRecord]) -> int:
    with transaction.atomic():
        DigestRecord.objects.bulk_update(batch, ["details", "thinned"])
    return len(batch)


def facts_thin(*, now: datetime | None = None, kept_for: timedelta = FACTS_KEPT_FOR) -> int:
    """Forget digest facts unseen for `kept_for` that no tag points at; return rows deleted."""
    now = now or timezone.now()
    current = TagState.objects.exclude(digest="").values("digest")
    return delete_in_batches(
        DigestFacts.objects.filter(last_seen__lt=now - kept_for).exclude(digest__in=current)
    )


def runs_thin(*, now: datetime | None = None, kept_for: timedelta = POLL_RUNS_KEPT_FOR) -> int:
    """Delete finished poll runs older than `kept_for`; return rows deleted."""
    now = now or timezone.now()
    return delete_in_batches(
        PollRun.objects.filter(queued_at__lt=now - kept_for, finished_at__isnull=False)
    )
