"""Reads of the notifications app."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from fedimage.notifications.models import Channel, Subscription


def email_kinds_of(*, user) -> set[str]:
    """The kinds of event the user's e-mail is subscribed to."""
    return set(
        Subscription.objects.filter(channel=Channel.EMAIL, user=user, active=True).values_list(
            "kind", flat=True
        )
    )


def subscription_get(*, pk: int) -> Subscription:
    return get_object_or_404(Subscription, pk=pk)


def room_subscriptions() -> QuerySet[Subscription]:
    return Subscription.objects.filter(channel=Channel.MATRIX).order_by("room", "kind")
