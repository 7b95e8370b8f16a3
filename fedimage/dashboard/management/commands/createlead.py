"""Create the first lead (or make an existing user one): `manage.py createlead NAME`."""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from fedimage.initiative.rules import LEAD_GROUP


class Command(BaseCommand):
    help = (
        "Create a lead who can sign in with a password, or make an existing user a lead (the "
        "admin stays for superusers). The password is asked for on a terminal, else read from "
        "standard input."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        username: str = options["username"].strip()
        if not username:
            raise CommandError("Give a user name.")
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        candidate = user or User(username=username, email=options["email"])
        password = self._password()
        try:
            validate_password(password, user=candidate)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        with transaction.atomic():
            created = user is None
            if options["email"]:
                candidate.email = options["email"]
            candidate.set_password(password)
            candidate.save()
            candidate.groups.add(Group.objects.get_or_create(name=LEAD_GROUP)[0])
        verb = "created" if created else "updated"
        message = f"Lead {username!r} {verb}; sign in at /accounts/login/."
        self.stdout.write(self.style.SUCCESS(message))

    def _password(self) -> str:
        if sys.stdin.isatty():
            first = getpass.getpass("Password: ")
            if first != getpass.getpass("Password (again): "):
                raise CommandError("The passwords differ.")
            return first
        line = sys.stdin.readline().rstrip("\n")
        if not line:
            raise CommandError("No password on standard input.")
        return line
