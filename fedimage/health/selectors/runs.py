"""Reads of poll runs: the progress of polls asked for together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db.models import Max, Q
from django.utils import timezone

from fedimage.health.models import PollRun, PollStatus, WatchedImage


@dataclass
class RunView:
    """A run as the progress box shows it: its own row, or the one it follows."""

    run: PollRun  # the run doing the work (the followed one, when this one follows)
    asked: PollRun

    @property
    def joined(self) -> bool:
        return self.asked.follows_id is not None


@dataclass
class BatchProgress:
    batch: UUID
    runs: list[RunView]

    def count(self, *statuses: str) -> int:
        return sum(1 for view in self.runs if view.run.status in statuses)

    @property
    def tally(self) -> list[tuple[str, int]]:
        """(status, runs) in the order a run goes through them, zeros left out."""
        return [(s.value, n) for s in PollStatus if (n := self.count(s.value))]

    @property
    def queued(self) -> int:
        return self.count(PollStatus.QUEUED)

    @property
    def running(self) -> int:
        return self.count(PollStatus.RUNNING)

    @property
    def waiting(self) -> list[RunView]:
        return [view for view in self.runs if view.run.status == PollStatus.WAITING]

    @property
    def done(self) -> int:
        return self.count(PollStatus.DONE)

    @property
    def failed(self) -> list[RunView]:
        return [view for view in self.runs if view.run.status == PollStatus.FAILED]

    @property
    def finished(self) -> bool:
        now = timezone.now()
        return not any(view.run.is_alive(now) for view in self.runs)

    @property
    def joined(self) -> int:
        return sum(1 for view in self.runs if view.joined)

    @property
    def tags_checked(self) -> int:
        return sum(view.run.tags_checked for view in self.runs)

    @property
    def tags_total(self) -> int:
        return sum(view.run.tags_total for view in self.runs)

    @property
    def tags_changed(self) -> int:
        return sum(view.run.tags_changed for view in self.runs)

    @property
    def new_digests(self) -> int:
        return sum(view.run.new_digests for view in self.runs)


def batch_progress(*, batch: UUID) -> BatchProgress | None:
    """The runs asked for together, each shown through the run doing its work (one query)."""
    asked = list(
        PollRun.objects.filter(batch=batch)
        .select_related("image", "follows")
        .order_by("image__order", "image__key")
    )
    if not asked:
        return None
    return BatchProgress(batch=batch, runs=[RunView(run.follows or run, run) for run in asked])


def image_run_latest(*, image: WatchedImage) -> PollRun | None:
    """The image's newest run that did work (not one that followed another)."""
    return (
        PollRun.objects.filter(image=image, follows__isnull=True)
        .order_by("-queued_at", "-id")
        .first()
    )


def image_last_polls() -> list[tuple[str, datetime | None]]:
    """(key, when its last poll finished) of every active image, for the poll lag metric."""
    return list(
        WatchedImage.objects.filter(active=True)
        .order_by("order", "key")
        .annotate(polled=Max("poll_runs__finished_at", filter=Q(poll_runs__status=PollStatus.DONE)))
        .values_list("key", "polled")
    )
