"""Steps of the Fedora sign-in pipeline (social-auth), between the library's own steps.

Order (settings.SOCIAL_AUTH_PIPELINE): claims → `sub` → require_membership → the account
already linked to this `sub` → claim_username → create the user → link → sync_account.
"""

from __future__ import annotations

from social_core.exceptions import AuthException

from fedimage.accounts import services

LINK_SESSION_KEY = "fedimage_link_fedora"


class SignInRefused(AuthException):
    """A Fedora sign-in fedimage refuses, with the sentence to show the person."""

    default_code = "authentication_disallowed"

    def __init__(self, backend, user_message: str, *, code: str | None = None) -> None:
        super().__init__(backend, user_message, code=code, stage="pipeline")
        self.user_message = user_message


def require_membership(backend, groups=None, *args, **kwargs):
    if not services.fedora_may_sign_in(groups=groups or []):
        raise SignInRefused(
            backend,
            "Your Fedora account is not in a group allowed to sign in here "
            "(ask the initiative leads).",
            code="membership_required",
        )


def claim_username(backend, details, strategy, user=None, social=None, *args, **kwargs):
    """Name a new account after the FAS nickname, never taking over a local account.

    A person already signed in reaches this step only through "Link my Fedora account" on
    their profile (the session says so), and only for the same name.
    """
    nickname = details.get("username")
    if not isinstance(nickname, str) or not services.FAS_NAME_RE.match(nickname):
        raise SignInRefused(
            backend,
            "Fedora Accounts did not give a valid account name (nickname).",
            code="missing_claim",
        )
    if social is not None:
        return None
    if user is not None:
        intent = strategy.session_get(LINK_SESSION_KEY)
        strategy.session_set(LINK_SESSION_KEY, None)
        if intent != user.pk:
            raise SignInRefused(
                backend,
                "You are already signed in. To link your Fedora account, use "
                "“Link my Fedora account” on your profile.",
                code="user_mismatch",
            )
        if nickname.lower() != user.get_username().lower():
            raise SignInRefused(
                backend,
                f"Your Fedora account is “{nickname}” but this account is "
                f"“{user.get_username()}”: only an account of the same name can be linked. "
                "Sign out and sign in with Fedora to use a separate account.",
                code="username_in_use",
            )
        return {"username": user.get_username()}
    if services.username_taken(nickname):
        raise SignInRefused(
            backend,
            f"An account named “{nickname}” already exists here and is not linked to Fedora "
            "Accounts. If it is yours, sign in with its password and choose “Link my Fedora "
            "account” on your profile; otherwise ask an administrator.",
            code="username_in_use",
        )
    return {"username": nickname}


def sync_account(backend, details, user=None, groups=None, *args, **kwargs):
    if user is None:
        return
    services.fedora_account_sync(
        user=user,
        nickname=details["username"],
        email=details.get("email") or "",
        groups=groups or [],
    )
