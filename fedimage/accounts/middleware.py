"""Show dates in the signed-in person's time zone (kept in the session: no query per page)."""

from __future__ import annotations

import zoneinfo

from django.utils import timezone

SESSION_KEY = "fedimage_tz"


def remember_time_zone(request, name: str) -> None:
    """Store the time zone for this session's later requests ("" for the server's)."""
    if name:
        request.session[SESSION_KEY] = name
    else:
        request.session.pop(SESSION_KEY, None)


class TimezoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        if name:
            try:
                timezone.activate(zoneinfo.ZoneInfo(name))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
