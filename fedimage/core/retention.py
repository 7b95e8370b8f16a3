"""Deleting old history a batch at a time, for every app's retention job.

One `DELETE` of a year's rows holds its locks and grows the write-ahead log until it ends, and
a job stopped by its time limit loses all of it. Batches of a few thousand rows, each its own
short transaction, keep every lock brief and keep what a stopped job already did; running the
job again picks up where it stopped (retention is idempotent).
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet


def delete_in_batches(queryset: QuerySet, *, batch_size: int | None = None) -> int:
    """Delete the rows `queryset` matches, `batch_size` at a time; return how many were deleted.

    Rows cascading from them are deleted with their batch (not counted). The queryset is
    evaluated again for each batch, so rows that stop matching meanwhile are left alone.
    """
    size: int = settings.RETENTION_BATCH_SIZE if batch_size is None else batch_size
    model = queryset.model
    label = model._meta.label
    total = 0
    while True:
        with transaction.atomic():
            pks = list(queryset.order_by().values_list("pk", flat=True)[:size])
            if not pks:
                return total
            _, per_model = model._base_manager.filter(pk__in=pks).delete()
        total += per_model.get(label, 0)
        if len(pks) < size:
            return total
