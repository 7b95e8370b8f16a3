from django.core.management.base import BaseCommand, CommandError

from trackers import services
from trackers.clients.base import TrackerError
from trackers.models import SyncRun, TrackerSource


class Command(BaseCommand):
    help = "Sync issue trackers in the foreground and print what changed."

    def add_arguments(self, parser):
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
            "--changes",
            type=int,
            default=20,
            metavar="N",
            help="Print at most N changed issues per source (default 20).",
        )

    def handle(self, *args, source, full, changes, **options):
        sources = TrackerSource.objects.all()
        if source:
            sources = sources.filter(name__in=source)
            unknown = sorted(set(source) - set(sources.values_list("name", flat=True)))
            if unknown:
                known = ", ".join(TrackerSource.objects.values_list("name", flat=True))
                raise CommandError(f"unknown source {', '.join(unknown)} (known: {known})")
        else:
            sources = sources.filter(enabled=True)
        failed = 0
        for src in sources:
            try:
                run = services.source_sync(source=src, full=full, trigger="command")
            except services.SyncInProgress:
                self.stdout.write(self.style.WARNING(f"{src.name}: another sync is running"))
                continue
            except TrackerError:
                failed += 1
                run = SyncRun.objects.filter(source=src).first()
            self._print(src, run, changes)
        if failed:
            raise CommandError(f"{failed} source(s) failed; their last good data is kept")

    def _print(self, source, run, limit):
        if run is None:  # pragma: no cover - a failed run is always recorded
            return
        summary = (
            f"{run.created} created, {run.updated} updated, {run.removed} removed, "
            f"{run.unchanged} unchanged; {run.requests} requests"
        )
        if run.rate_limit_remaining is not None:
            summary += f", rate limit left {run.rate_limit_remaining}"
        if run.status == "failed":
            self.stdout.write(self.style.ERROR(f"{source.name}: FAILED ({summary}): {run.error}"))
        elif run.status == "not_modified":
            self.stdout.write(f"{source.name}: not modified ({summary})")
        else:
            self.stdout.write(self.style.SUCCESS(f"{source.name}: {summary}"))
        for line in run.changes[:limit]:
            self.stdout.write(f"  {line}")
        if len(run.changes) > limit:
            self.stdout.write(f"  ... and {len(run.changes) - limit} more")
        for item in run.skipped:
            self.stdout.write(f"  skipped {item.get('count', 1)} {item['what']}: {item['why']}")
