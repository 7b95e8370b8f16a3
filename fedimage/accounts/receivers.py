"""Sign-in hooks: load the person's time zone into the new session."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from fedimage.accounts import selectors
from fedimage.accounts.middleware import remember_time_zone


@receiver(user_logged_in, dispatch_uid="accounts.time_zone_on_sign_in")
def time_zone_on_sign_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        remember_time_zone(request, selectors.profile_get(user=user).time_zone)
