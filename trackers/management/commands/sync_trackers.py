"""`manage.py sync_trackers`: sync in the foreground, page by page, one summary per source."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from fedimage.core.durations import duration_words
from trackers import services
from trackers.clients.base import TrackerError
from trackers.models import RunStatus, SyncRun, TrackerSource
from trackers.sync.context import Progress


class Command(BaseCommand):
    help = (
        "Sync issue trackers in the foreground: progress per page, then one summary line per "
        "source. A source paused by a rate limit is left alone unless --force. Exits non-zero "
        "when a source failed."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--source",
            action="append",
            default=[],
            metavar="NAME",
            help="Only this source (repeatable; default: every enabled one).",
        )
        parser.add_argument(
            "--full",
            action="store_true",
            help="List every issue and reconcile (flag removed, fix missed).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Sync sources paused by a rate limit too (the tracker may refuse again).",
        )
        parser.add_argument(
            "--changes",
            type=int,
            default=20,
            metavar="N",
            help="Print at most N changed issues per source (default 20).",
        )

    def handle(
        self, *args: Any, source: list[str], full: bool, force: bool, changes: int, **options: Any
    ) -> None:
        sources = TrackerSource.objects.all()
        if source:
            sources = sources.filter(name__in=source)
            unknown = sorted(set(source) - set(sources.values_list("name", flat=True)))
            if unknown:
                known = ", ".join(TrackerSource.objects.values_list("name", flat=True))
                raise CommandError(f"unknown source {', '.join(unknown)} (known: {known})")
        else:
            sources = sources.filter(enabled=True)
        failed: list[str] = []
        for src in sources:
            if src.is_paused() and not force:
                assert src.paused_until is not None  # noqa: S101 - is_paused says so
                left = duration_words(src.paused_until - timezone.now())
                self.stdout.write(
                    self.style.WARNING(
                        f"{src.name}: paused by a rate limit until "
                        f"{timezone.localtime(src.paused_until):%H:%M:%S} (in {left}); "
                        "skipped (use --force to sync anyway)"
                    )
                )
                continue
            try:
                run = services.source_sync(
                    source=src, full=full, trigger="command", on_progress=self._progress
                )
            except services.SyncInProgress:
                self.stdout.write(self.style.WARNING(f"{src.name}: another sync is running"))
                continue
            except TrackerError:
                failed.append(src.name)
                run = SyncRun.objects.filter(source=src).order_by("-started_at", "-id").first()
            self._summary(src, run, changes)
        if failed:
            raise CommandError(
                f"{len(failed)} source(s) failed ({', '.join(failed)}); their last good data "
                "is kept and their next sync resumes where this one stopped"
            )

    def _progress(self, progress: Progress) -> None:
        pages = f"{progress.page}/{progress.pages_total}" if progress.pages_total else progress.page
        line = (
            f"  {progress.source}: page {pages}, {progress.issues} issues so far, "
            f"{progress.requests} requests"
        )
        if progress.rate_limit_remaining is not None:
            line += f", rate budget left {progress.rate_limit_remaining}"
        if progress.waited:
            line += f", waited {progress.waited:.0f} s for rate limits"
        self.stdout.write(line)
        self.stdout.flush()

    def _summary(self, source: TrackerSource, run: SyncRun | None, limit: int) -> None:
        if run is None:  # pragma: no cover - a failed run is always recorded
            return
        summary = (
            f"{run.created} created, {run.updated} updated, {run.removed} removed, "
            f"{run.unchanged} unchanged; {run.pages} pages, {run.requests} requests"
        )
        if run.resumed_after_page:
            summary += f", resumed after page {run.resumed_after_page}"
        if run.rate_limit_remaining is not None:
            summary += f", rate budget left {run.rate_limit_remaining}"
        if run.waited:
            summary += f", waited {run.waited:.0f} s for rate limits"
        if run.status == RunStatus.FAILED:
            source.refresh_from_db()
            where = ""
            if source.listing:
                where = f"; resumes after page {source.listing.get('page', 0)}"
            self.stdout.write(
                self.style.ERROR(f"{source.name}: FAILED ({summary}): {run.error}{where}")
            )
        elif run.status == RunStatus.NOT_MODIFIED:
            self.stdout.write(f"{source.name}: not modified ({summary})")
        else:
            self.stdout.write(self.style.SUCCESS(f"{source.name}: {summary}"))
        for line in run.changes[:limit]:
            self.stdout.write(f"  {line}")
        if run.changes_total > min(limit, len(run.changes)):
            self.stdout.write(f"  ... and {run.changes_total - min(limit, len(run.changes))} more")
        for item in run.skipped:
            self.stdout.write(f"  skipped {item.get('count', 1)} {item['what']}: {item['why']}")
