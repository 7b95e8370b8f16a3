"""Reads of the accounts app."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import User as AuthUser
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from fedimage.accounts.models import ApiToken, FileRoles, Profile
from fedimage.initiative.selectors import subproject_list

# Revoked and expired tokens stay listed this long, so their owner sees what happened.
DEAD_TOKENS_SHOWN = timedelta(days=30)


def profile_get(*, user: AuthUser) -> Profile:
    """The person's profile, or an unsaved empty one before they first save it."""
    try:
        return Profile.objects.get(user=user)
    except Profile.DoesNotExist:
        return Profile(user=user)


def api_token_list(*, user: AuthUser) -> QuerySet[ApiToken]:
    """The person's active tokens and those revoked or expired in the last 30 days."""
    since = timezone.now() - DEAD_TOKENS_SHOWN
    return ApiToken.objects.filter(user=user).filter(
        Q(revoked_at__isnull=True, expires_at__isnull=True)
        | Q(revoked_at__isnull=True, expires_at__gt=since)
        | Q(revoked_at__gt=since)
    )


def api_token_get(*, user: AuthUser, pk: int) -> ApiToken:
    """One of the person's own tokens (404 for anyone else's)."""
    return get_object_or_404(ApiToken, pk=pk, user=user)


def owned_subprojects(*, user: AuthUser) -> list:
    """The subprojects whose owners in the initiative file include this person's FAS name."""
    name = user.get_username().lower()
    return [
        sp
        for sp in subproject_list(user=user)
        if name in (owner.lower() for owner in sp.owner_list)
    ]


def fedora_linked(*, user: AuthUser) -> bool:
    return user.social_auth.filter(provider="fedora-oidc").exists()


def file_roles() -> tuple[list[str], list[str]]:
    """(lead groups, lead names) the initiative file's [roles] grants."""
    row = FileRoles.objects.first()
    return (row.lead_groups, row.lead_users) if row else ([], [])
