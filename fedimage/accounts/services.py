"""Writes of the accounts app: Fedora account sync and roles, profiles, API tokens, audit."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import zoneinfo
from collections.abc import Callable
from datetime import timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, Group
from django.contrib.auth.models import User as AuthUser
from django.contrib.sessions.models import Session
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from fedimage.accounts import selectors
from fedimage.accounts.models import ApiToken, Profile
from fedimage.core.retention import delete_in_batches
from fedimage.initiative.rules import LEAD_GROUP

audit = logging.getLogger("fedimage.accounts.audit")

LEAD = "lead"
TOKEN_PREFIX = "fdi_"  # noqa: S105  (a marker for secret scanners, not a secret)
MAX_ACTIVE_TOKENS = 20
# A token's last use is written at most this often, so an API client does not write per call.
LAST_USED_GRANULARITY = timedelta(minutes=1)
EMAIL_CONFIRM_SALT = "fedimage.accounts.email"
EMAIL_CONFIRM_MAX_AGE = timedelta(days=2)
MATRIX_ID_RE = re.compile(r"^@[a-z0-9._=\-/+]+:[A-Za-z0-9.\-]+(:\d{1,5})?$")
FAS_NAME_RE = re.compile(r"^[a-z][a-z0-9._-]{0,63}$", re.IGNORECASE)


# Fedora Accounts ---------------------------------------------------------------------------


def fedora_roles(*, nickname: str, groups: list[str]) -> set[str]:
    """The roles FAS grants: `lead` for members of the lead groups and the lead names.

    Lead groups and names are FEDORA_LEAD_GROUPS / FEDORA_LEAD_USERS and the initiative file's
    [roles] lead_groups / lead_users, together.
    """
    file_groups, file_users = selectors.file_roles()
    lead_users = {*settings.FEDORA_LEAD_USERS, *file_users}
    lead_groups = {*settings.FEDORA_LEAD_GROUPS, *file_groups}
    roles: set[str] = set()
    if nickname in lead_users or set(groups) & lead_groups:
        roles.add(LEAD)
    return roles


def fedora_may_sign_in(*, groups: list[str]) -> bool:
    """With FEDORA_MEMBER_GROUPS set, only their members may sign in."""
    allowed = settings.FEDORA_MEMBER_GROUPS
    return not allowed or bool(set(groups) & set(allowed))


def username_taken(name: str, *, exclude_pk: int | None = None) -> bool:
    qs = AuthUser.objects.filter(username__iexact=name)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


@transaction.atomic
def fedora_account_sync(*, user: AuthUser, nickname: str, email: str, groups: list[str]) -> Profile:
    """Bring a Fedora-signed-in user's name, e-mail, FAS groups and roles up to date.

    Runs at every sign-in with Fedora: a group lost in FAS loses its role here. A renamed FAS
    account keeps its fedimage account (matched by `sub`) and takes the new name when free.
    """
    groups = sorted({g for g in groups if isinstance(g, str) and g})
    fields = []
    if nickname and nickname != user.username and not username_taken(nickname, exclude_pk=user.pk):
        audit.info("fedora account renamed: %s -> %s", user.username, nickname)
        user.username = nickname
        fields.append("username")
    if email and email != user.email:
        user.email = email
        fields.append("email")
    if fields:
        user.save(update_fields=fields)
    profile, _ = Profile.objects.update_or_create(
        user=user,
        defaults={"fas_username": nickname, "fas_groups": groups, "fas_synced_at": timezone.now()},
    )
    lead_group, _ = Group.objects.get_or_create(name=LEAD_GROUP)
    is_lead = LEAD in fedora_roles(nickname=nickname, groups=groups)
    was_lead = user.groups.filter(pk=lead_group.pk).exists()
    if is_lead and not was_lead:
        user.groups.add(lead_group)
        audit.info("lead role granted from FAS: %s", user.username)
    elif was_lead and not is_lead:
        user.groups.remove(lead_group)
        audit.info("lead role removed (no longer granted by FAS): %s", user.username)
    return profile


# Profiles ------------------------------------------------------------------------------------


def _validate_time_zone(name: str) -> None:
    if name and name not in zoneinfo.available_timezones():
        raise ValidationError({"time_zone": f"Unknown time zone “{name}”."})


@transaction.atomic
def profile_update(*, user: AuthUser, matrix_id: str, time_zone: str) -> Profile:
    """Set a person's Matrix ID and the time zone their dates are shown in."""
    matrix_id = matrix_id.strip()
    if matrix_id and not MATRIX_ID_RE.match(matrix_id):
        raise ValidationError({"matrix_id": "Give a Matrix user ID such as @alice:fedora.im."})
    _validate_time_zone(time_zone)
    profile, _ = Profile.objects.update_or_create(
        user=user, defaults={"matrix_id": matrix_id, "time_zone": time_zone}
    )
    return profile


def email_change_request(*, user: AuthUser, email: str, confirm_url: Callable[[str], str]) -> str:
    """Mail a confirmation link to a new address; the address is set only when it is followed.

    `confirm_url` makes the absolute URL of the confirmation page from the signed token.
    Accounts signed in with Fedora take their address from FAS instead.
    """
    if selectors.fedora_linked(user=user):
        raise ValidationError(
            {"email": "Your address comes from Fedora Accounts; change it there."}
        )
    email = email.strip()
    validate_email(email)
    token = signing.dumps({"user": user.pk, "email": email}, salt=EMAIL_CONFIRM_SALT)
    send_mail(
        subject="[fedimage] Confirm your e-mail address",
        message=(
            f"Someone (hopefully you, {user.get_username()}) asked fedimage to send "
            f"notifications to this address. Confirm it within two days:\n\n"
            f"{confirm_url(token)}\n\nIf it was not you, ignore this message."
        ),
        from_email=None,
        recipient_list=[email],
    )
    audit.info("e-mail change requested: %s", user.username)
    return token


@transaction.atomic
def email_change_confirm(*, user: AuthUser, token: str) -> str:
    """Set the address a confirmation link was sent to, for the user it was sent for."""
    try:
        data = signing.loads(token, salt=EMAIL_CONFIRM_SALT, max_age=EMAIL_CONFIRM_MAX_AGE)
    except signing.SignatureExpired:
        raise ValidationError("This confirmation link has expired; ask for a new one.") from None
    except signing.BadSignature:
        raise ValidationError("This confirmation link is not valid.") from None
    if data.get("user") != user.pk:
        raise PermissionDenied("This confirmation link was sent for another account.")
    user.email = data["email"]
    user.save(update_fields=["email"])
    audit.info("e-mail address confirmed: %s", user.username)
    return user.email


# API tokens ----------------------------------------------------------------------------------


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *, user: AuthUser, name: str, expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """Create a personal API token; return it with its secret, which is never stored."""
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied("Sign in to create API tokens.")
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "Give the token a name."})
    if len(name) > 100:
        raise ValidationError({"name": "At most 100 characters."})
    if expires_in_days is not None and not 1 <= expires_in_days <= 366:
        raise ValidationError({"expires_in_days": "Between 1 and 366 days, or never."})
    active = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
    if active.count() >= MAX_ACTIVE_TOKENS:
        raise ValidationError(f"At most {MAX_ACTIVE_TOKENS} tokens; revoke one first.")
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    try:
        with transaction.atomic():
            token = ApiToken.objects.create(
                user=user,
                name=name,
                prefix=key[: len(TOKEN_PREFIX) + 6],
                digest=token_digest(key),
                created_at=now,
                expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
            )
    except IntegrityError:
        raise ValidationError({"name": "You already have a token with this name."}) from None
    audit.info("api token created: user=%s token=%s name=%r", user.username, token.pk, name)
    return token, key


@transaction.atomic
def api_token_revoke(*, user: AbstractBaseUser, token: ApiToken) -> None:
    """Revoke a token at once: its owner or a superuser."""
    if not (token.user_id == user.pk or getattr(user, "is_superuser", False)):
        raise PermissionDenied("You may not revoke this token.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.info("api token revoked: user=%s token=%s by=%s", token.user, token.pk, user)


def api_token_authenticate(*, key: str, ip: str | None) -> ApiToken | None:
    """The active token with this secret (its user fetched with it), recording its use."""
    if not key.startswith(TOKEN_PREFIX) or len(key) > 200:
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(key), revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .first()
    )
    if token is None:
        return None
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_GRANULARITY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=ip or None)
    return token


# Retention -----------------------------------------------------------------------------------


@transaction.atomic
def audit_prune(*, now=None) -> dict[str, int]:
    """Drop sign-in records and dead tokens older than AUDIT_RETENTION_DAYS."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    return {
        "access_logs": delete_in_batches(AccessLog.objects.filter(attempt_time__lt=cutoff)),
        "failure_logs": delete_in_batches(AccessFailureLog.objects.filter(attempt_time__lt=cutoff)),
        "attempts": delete_in_batches(AccessAttempt.objects.filter(attempt_time__lt=cutoff)),
        "tokens": delete_in_batches(
            ApiToken.objects.filter(Q(revoked_at__lt=cutoff) | Q(expires_at__lt=cutoff))
        ),
    }


def sessions_clear(*, now=None) -> int:
    """Delete expired sessions (Django's `clearsessions`, a batch at a time); return how many.

    Sessions live in the database behind the cache (`cached_db`): every sign-in leaves a row
    that Django never deletes by itself.
    """
    now = now or timezone.now()
    return delete_in_batches(Session.objects.filter(expire_date__lt=now))
