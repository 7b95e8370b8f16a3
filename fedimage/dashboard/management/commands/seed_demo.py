from django.core.management.base import BaseCommand

from fedimage.dashboard.demo import seed_demo
from fedimage.initiative.models import Milestone


class Command(BaseCommand):
    help = "Add realistic sample blockers and history (after load_initiative). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            help="Password for the demo users demo-lead and demo-stakeholder "
            "(without it they cannot sign in).",
        )

    def handle(self, *args, password=None, **options):
        if not Milestone.objects.exists():
            self.stderr.write("No milestones yet: run `python manage.py load_initiative` first.")
            raise SystemExit(1)
        counts = seed_demo(password=password)
        summary = ", ".join(f"{n} {what}" for what, n in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Demo data added: {summary}."))
        if password:
            self.stdout.write(
                "Sign in as demo-lead (lead) or demo-stakeholder with the password given."
            )
