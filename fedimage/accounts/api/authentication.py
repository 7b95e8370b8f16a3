"""REST API authentication: personal tokens, and HTTP Basic guarded by the lockout."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate
from rest_framework import authentication, exceptions

from fedimage.accounts import services
from fedimage.accounts.network import client_ip

REALM = "fedimage"


class TokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>` or `Authorization: Token <token>`.

    Listed first, so every 401 of the API carries its WWW-Authenticate challenge.
    """

    keywords = (b"bearer", b"token")

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() not in self.keywords:
            return None
        request._fedimage_token_failed = True
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Malformed Authorization header: give `Bearer <token>`."
            )
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("The token is not valid.") from None
        token = services.api_token_authenticate(key=key, ip=client_ip(request._request))
        if token is None:
            raise exceptions.AuthenticationFailed("The token is not valid, expired or revoked.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("The token's account is disabled.")
        request._fedimage_token_failed = False
        return (token.user, token)

    def authenticate_header(self, request):
        scheme = authentication.get_authorization_header(request).split()[:1]
        if settings.API_BASIC_AUTH and scheme and scheme[0].lower() == b"basic":
            return f'Basic realm="{REALM}", charset="UTF-8"'
        if getattr(request, "_fedimage_token_failed", False):
            return f'Bearer realm="{REALM}", error="invalid_token"'
        return f'Bearer realm="{REALM}"'


class BasicAuthentication(authentication.BasicAuthentication):
    """HTTP Basic (only with API_BASIC_AUTH): failures count towards the sign-in lockout."""

    www_authenticate_realm = REALM

    def authenticate(self, request):
        if not settings.API_BASIC_AUTH:
            return None
        return super().authenticate(request)

    def authenticate_credentials(self, userid, password, request=None):
        if "\x00" in userid or "\x00" in password:  # PostgreSQL cannot compare them: a 500
            raise exceptions.AuthenticationFailed("Invalid username or password.")
        # The plain Django request carries the lockout flags the lockout middleware reads.
        django_request = getattr(request, "_request", request)
        user = authenticate(request=django_request, username=userid, password=password)
        if getattr(django_request, "axes_locked_out", False):
            raise exceptions.AuthenticationFailed("Too many failed sign-ins; try again later.")
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid username or password.")
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return (user, None)
