"""API throttles: per user and per anonymous address, rates read from settings at each use.

The address is the one the sign-in lockout counts too (fedimage.accounts.network): a
client-sent X-Forwarded-For is believed only through TRUSTED_PROXY_COUNT proxies.

Each client's requests are counted in fixed windows of the rate's period (a minute for
"600/minute"): one atomic increment of a counter in the cache per request, whatever the rate.
DRF's own throttles keep a list of every request's time in the period, read and written back
whole on each request (30,000 timestamps at 500 requests a second, a 270 KB cache value), and
two requests at once can each write back a list missing the other. A window lets a client make
up to twice its rate across a window's boundary; Retry-After is the time left in the window.
"""

from __future__ import annotations

import math

from django.conf import settings
from rest_framework import throttling

from fedimage.accounts.network import client_ip
from fedimage.core.cache import count


class _WindowThrottle(throttling.SimpleRateThrottle):
    """At most `num_requests` requests per client in each window of `duration` seconds."""

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends = (window + 1) * self.duration
        return count(f"{key}:{window}", timeout=self.duration + 1) <= self.num_requests

    def wait(self) -> float:
        return max(1, math.ceil(self.window_ends - self.now))


class AnonRateThrottle(_WindowThrottle, throttling.AnonRateThrottle):
    def get_rate(self) -> str:
        return settings.API_THROTTLE_ANON

    def get_ident(self, request) -> str:
        return client_ip(request._request)


class UserRateThrottle(_WindowThrottle, throttling.UserRateThrottle):
    def get_rate(self) -> str:
        return settings.API_THROTTLE_USER

    def get_cache_key(self, request, view) -> str | None:
        # Anonymous clients are counted by AnonRateThrottle, at their own (lower) rate.
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)
