"""What a locked-out client gets, and which address the lockout counts."""

from __future__ import annotations

import logging
import math

from axes.helpers import get_client_username, get_cool_off
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from fedimage.accounts.network import client_ip as _client_ip

logger = logging.getLogger("fedimage.accounts.audit")


def client_ip(request: HttpRequest) -> str:
    return _client_ip(request)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """429 with Retry-After: a page for the sign-in form, JSON for the API."""
    cool_off = get_cool_off(request)
    seconds = max(1, math.ceil(cool_off.total_seconds())) if cool_off else 900
    minutes = max(1, math.ceil(seconds / 60))
    username = get_client_username(request, credentials) or ""
    logger.warning(
        "sign-in locked out: username=%r address=%s path=%s",
        username,
        client_ip(request),
        request.path,
    )
    message = (
        f"Too many failed sign-ins for “{username}” from your address. "
        f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."
    )
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message}, status=429)
    else:
        response = render(
            request,
            "accounts/locked_out.html",
            {
                "message": message,
                "minutes": minutes,
                "username": username,
                "fedora_sign_in": settings.FEDORA_SIGN_IN,
            },
            status=429,
        )
    response["Retry-After"] = str(seconds)
    return response
