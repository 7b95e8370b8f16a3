"""API throttles: per user and per anonymous address, rates read from settings at each use.

The address is the one the sign-in lockout counts too (fedimage.accounts.network): a
client-sent X-Forwarded-For is believed only through TRUSTED_PROXY_COUNT proxies.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework import throttling

from fedimage.accounts.network import client_ip


class AnonRateThrottle(throttling.AnonRateThrottle):
    def get_rate(self) -> str:
        return settings.API_THROTTLE_ANON

    def get_ident(self, request) -> str:
        return client_ip(request._request)


class UserRateThrottle(throttling.UserRateThrottle):
    def get_rate(self) -> str:
        return settings.API_THROTTLE_USER

    def get_ident(self, request) -> str:
        return client_ip(request._request)
