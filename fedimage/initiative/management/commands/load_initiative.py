from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from fedimage.core.initiative_file import InitiativeFileError, load_initiative_file


class Command(BaseCommand):
    help = "Load (or reload) the initiative file: releases, milestones, subprojects. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            nargs="?",
            default=None,
            help="The TOML file (default: settings.INITIATIVE_FILE, ./initiative.toml).",
        )

    def handle(self, *args, path=None, **options):
        path = path or settings.INITIATIVE_FILE
        try:
            report = load_initiative_file(path)
        except InitiativeFileError as exc:
            raise CommandError(f"{path}: {exc}\nNothing was changed.") from None
        self.stdout.write(self.style.SUCCESS(f"Loaded {path}"))
        for line in report.lines():
            self.stdout.write(f"  {line}")
