"""The subscriptions page: e-mail subscriptions for oneself, Matrix rooms for leads."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from fedimage.core.permissions import allowed
from fedimage.notifications import selectors, services
from fedimage.notifications.forms import EmailSubscriptionsForm, RoomSubscriptionForm


@login_required
@require_http_methods(["GET", "POST"])
def subscriptions(request: HttpRequest) -> HttpResponse:
    email_form = EmailSubscriptionsForm(
        initial={"kinds": sorted(selectors.email_kinds_of(user=request.user))}
    )
    room_form = RoomSubscriptionForm()
    if request.method == "POST" and request.POST.get("form") == "email":
        email_form = EmailSubscriptionsForm(request.POST)
        if email_form.is_valid():
            services.email_subscriptions_set(
                user=request.user, kinds=set(email_form.cleaned_data["kinds"])
            )
            messages.success(request, "Your e-mail subscriptions are saved.")
            return redirect("notifications:subscriptions")
    elif request.method == "POST" and request.POST.get("form") == "room":
        room_form = RoomSubscriptionForm(request.POST)
        if room_form.is_valid():
            try:
                services.room_subscribe(
                    user=request.user,
                    room=room_form.cleaned_data["room"],
                    kinds=set(room_form.cleaned_data["kinds"]),
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    room_form.add_error(field if field in room_form.fields else None, errors)
            else:
                messages.success(request, "The room is subscribed.")
                return redirect("notifications:subscriptions")
    lead = allowed(request.user, "notifications.subscribe_room")
    return render(
        request,
        "notifications/subscriptions.html",
        {
            "email_form": email_form,
            "room_form": room_form,
            "rooms": list(selectors.room_subscriptions()) if lead else [],
            "can_manage_rooms": lead,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def subscription_delete(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = selectors.subscription_get(pk=pk)
    services.subscription_delete(user=request.user, subscription=subscription)
    messages.success(request, "The subscription is removed.")
    return redirect("notifications:subscriptions")
