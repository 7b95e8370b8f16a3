"""Accounts: a person's profile (contact details, time zone, Fedora groups) and API tokens."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Profile(models.Model):
    """What fedimage keeps about a person beyond Django's user: contacts, time zone, FAS data."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    matrix_id = models.CharField(
        max_length=255, blank=True, help_text="A Matrix user ID such as @alice:fedora.im."
    )
    time_zone = models.CharField(
        max_length=64, blank=True, help_text="IANA name; dates and times are shown in it."
    )
    fas_username = models.CharField(
        max_length=64,
        blank=True,
        help_text="The Fedora account name (FAS nickname) at the last sign-in with Fedora.",
    )
    fas_groups = models.JSONField(
        default=list, blank=True, help_text="FAS groups at the last sign-in with Fedora."
    )
    fas_synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user_id"]

    def __str__(self) -> str:
        return f"Profile of {self.user}"


class ApiToken(models.Model):
    """A personal API token: only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(
        max_length=16, help_text="The token's first characters, to recognise it in a list."
    )
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token (hex).")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"],
                condition=models.Q(revoked_at__isnull=True),
                name="accounts_apitoken_active_name_unique",
            )
        ]
        indexes = [models.Index(fields=["revoked_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) of {self.user}"

    @property
    def is_active(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()


class FileRoles(models.Model):
    """The roles the initiative file's [roles] table grants (one row, written by its loader)."""

    lead_groups = models.JSONField(
        default=list, blank=True, help_text="FAS groups whose members are initiative leads."
    )
    lead_users = models.JSONField(
        default=list, blank=True, help_text="FAS names who are initiative leads."
    )

    class Meta:
        verbose_name_plural = "file roles"

    def __str__(self) -> str:
        return "Roles from the initiative file"
