"""Poll the watched images in the foreground and print each tag's state."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fedimage.core.locks import single_flight
from fedimage.health import services
from fedimage.health.models import WatchedImage


class Command(BaseCommand):
    help = "Poll the registries for every watched image (or one) and print each tag's state."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--image", metavar="NAME", help="Key of one watched image.")

    def handle(self, *args: object, **options: object) -> None:
        images = WatchedImage.objects.filter(active=True).select_related("base")
        if options["image"]:
            images = images.filter(key=options["image"])
            if not images.exists():
                known = ", ".join(WatchedImage.objects.values_list("key", flat=True)) or "none"
                raise CommandError(f"No watched image '{options['image']}' (known: {known}).")
        for image in images.order_by("order", "key"):
            with single_flight(f"health.poll_image:{image.pk}") as mine:
                if not mine:
                    self.stdout.write(f"{image.reference}: a poll is already running, skipped")
                    continue
                report = services.image_poll(image=image)
            for outcome in report.outcomes:
                line = f"{image.reference}:{outcome.tag}  {outcome.state.upper()}  {outcome.reason}"
                self.stdout.write(self._style(outcome.state)(line))
            if report.throttled is not None:
                self.stdout.write(
                    self.style.WARNING(f"{image.reference}: throttled by the registry, stopped")
                )
            self.stdout.write(f"  ({report.requests} requests)")

    def _style(self, state: str):
        if state == "healthy":
            return self.style.SUCCESS
        if state in ("stale", "degraded", "unreachable"):
            return self.style.WARNING
        return self.style.ERROR
