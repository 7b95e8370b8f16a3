from django.core.management.base import BaseCommand

from fedimage.dashboard.demo import remove_demo, seed_demo
from fedimage.initiative.models import Milestone


class Command(BaseCommand):
    help = (
        "Add sample data (after load_initiative), marked as such on every page; idempotent. "
        "--remove deletes it all again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            help="Password for the demo users demo-lead and demo-stakeholder "
            "(without it they cannot sign in).",
        )
        parser.add_argument(
            "--remove", action="store_true", help="Remove every sample row instead."
        )

    def handle(self, *args, password=None, remove=False, **options):
        if remove:
            deleted = remove_demo()
            total = sum(deleted.values())
            self.stdout.write(self.style.SUCCESS(f"Sample data removed: {total} rows."))
            return
        if not Milestone.objects.exists():
            self.stderr.write("No milestones yet: run `python manage.py load_initiative` first.")
            raise SystemExit(1)
        counts = seed_demo(password=password)
        summary = ", ".join(f"{n} {what}" for what, n in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Sample data added: {summary}."))
        self.stdout.write("Remove it with `DEBUG=1 .venv/bin/python manage.py seed_demo --remove`.")
        if password:
            self.stdout.write(
                "Sign in as demo-lead (lead) or demo-stakeholder with the password given."
            )
