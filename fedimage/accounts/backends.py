"""Authentication backends: the lockout guard and Fedora Accounts' OpenID Connect."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from social_core.backends.fedora import FedoraOpenIdConnect as _SocialFedoraOpenIdConnect


class LockoutBackend(AxesStandaloneBackend):
    """Refuse a locked-out username and address before any password is checked.

    `authenticate()` called without a request (management commands, the shell) is not a
    network sign-in and is left to the other backends.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class FedoraOpenIdConnect(_SocialFedoraOpenIdConnect):
    """Fedora Accounts (Ipsilon): endpoints found by discovery under FEDORA_OIDC_ISSUER.

    Settings (SOCIAL_AUTH_FEDORA_OIDC_*) choose the scopes (openid, profile, email and FAS
    groups, not agreements), PKCE and the groups claim; see fedimage/settings.py.
    """
