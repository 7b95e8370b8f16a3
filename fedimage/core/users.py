"""The accounts automated checks file blockers under (the health check, CI results)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User


def system_user(*, username: str, first_name: str, last_name: str) -> User:
    """The account named `username`, created without a usable password the first time."""
    user, created = get_user_model().objects.get_or_create(
        username=username, defaults={"first_name": first_name, "last_name": last_name}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
