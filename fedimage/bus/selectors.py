"""Reads of the bus app: what waits to be published (the admin and the health probe show it)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from fedimage.bus.models import BusMessage, MessageStatus


def message_list(*, status: str | None = None) -> QuerySet[BusMessage]:
    qs = BusMessage.objects.all()
    return qs.filter(status=status) if status else qs


def pending_summary() -> dict[str, Any]:
    """How many messages wait, since when, and the latest error met sending them."""
    pending = BusMessage.objects.filter(status=MessageStatus.PENDING)
    oldest = pending.order_by("created_at").values_list("created_at", flat=True).first()
    last = (
        pending.exclude(last_error="")
        .order_by("-last_attempt_at")
        .values_list("last_error", flat=True)
        .first()
    )
    return {"pending": pending.count(), "oldest": oldest, "last_error": last or ""}
