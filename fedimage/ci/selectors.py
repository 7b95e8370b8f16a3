"""Reads of the CI results app, for its page, its API and the reports."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from fedimage.ci.models import CiRun


def run_list(*, filters: dict[str, Any] | None = None) -> QuerySet[CiRun]:
    """Runs newest first; filters: image (key), parsed (True/False), digest."""
    filters = filters or {}
    qs = CiRun.objects.select_related("image", "tag_state").filter(issue__removed=False)
    if filters.get("image"):
        qs = qs.filter(image__key=filters["image"])
    if filters.get("parsed") is not None:
        qs = qs.filter(parsed=filters["parsed"])
    if filters.get("digest"):
        qs = qs.filter(digest=filters["digest"])
    return qs.order_by("-run_at", "-id")


def run_counts() -> dict[str, int]:
    """How many runs were read, how many of them could not be parsed (the page's answer)."""
    qs = CiRun.objects.filter(issue__removed=False)
    total = qs.count()
    unparsed = qs.filter(parsed=False).count()
    unmatched = qs.filter(parsed=True, tag_state__isnull=True).count()
    return {"total": total, "unparsed": unparsed, "unmatched": unmatched}
