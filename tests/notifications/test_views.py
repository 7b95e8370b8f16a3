"""The subscriptions page: e-mail for oneself, Matrix rooms for leads."""

from __future__ import annotations

import re

import pytest

from fedimage.notifications.models import Channel, EventKind, Subscription

pytestmark = pytest.mark.django_db

URL = "/notifications/"


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_member_chooses_their_own_email_subscriptions(member_client, member):
    Subscription.objects.create(kind=EventKind.ACTION_ITEM_DUE, channel=Channel.EMAIL, user=member)

    response = member_client.post(
        URL,
        {"form": "email", "kinds": [EventKind.BLOCKER_CRITICAL, EventKind.IMAGE_UNHEALTHY]},
    )

    assert response.status_code == 302
    active = Subscription.objects.filter(user=member, active=True).values_list("kind", flat=True)
    assert set(active) == {EventKind.BLOCKER_CRITICAL, EventKind.IMAGE_UNHEALTHY}
    page = member_client.get(URL).content.decode()
    checked = set(re.findall(r'name="kinds" value="(\w+)"[^>]* checked', page))
    assert checked == {EventKind.BLOCKER_CRITICAL, EventKind.IMAGE_UNHEALTHY}
    assert "Matrix rooms" not in page


def test_a_member_may_not_subscribe_or_remove_rooms(member_client):
    room = Subscription.objects.create(
        kind=EventKind.BLOCKER_CRITICAL, channel=Channel.MATRIX, room="!r:example.org"
    )

    added = member_client.post(
        URL, {"form": "room", "room": "!x:example.org", "kinds": [EventKind.BLOCKER_CRITICAL]}
    )
    removed = member_client.post(f"/notifications/{room.pk}/delete/")

    assert (added.status_code, removed.status_code) == (403, 403)
    assert list(Subscription.objects.values_list("room", flat=True)) == ["!r:example.org"]


def test_a_member_may_not_remove_someone_elses_email_subscription(member_client, other_member):
    theirs = Subscription.objects.create(
        kind=EventKind.BLOCKER_CRITICAL, channel=Channel.EMAIL, user=other_member
    )
    assert member_client.post(f"/notifications/{theirs.pk}/delete/").status_code == 403
    assert Subscription.objects.filter(pk=theirs.pk).exists()


def test_a_lead_subscribes_a_room_and_removes_it(lead_client):
    response = lead_client.post(
        URL,
        {
            "form": "room",
            "room": "#bootc:fedoraproject.org",
            "kinds": [EventKind.BLOCKER_CRITICAL, EventKind.MILESTONE_AT_RISK],
        },
    )
    assert response.status_code == 302
    rooms = Subscription.objects.filter(channel=Channel.MATRIX)
    assert sorted(rooms.values_list("kind", flat=True)) == [
        EventKind.BLOCKER_CRITICAL,
        EventKind.MILESTONE_AT_RISK,
    ]
    assert "#bootc:fedoraproject.org" in lead_client.get(URL).content.decode()

    lead_client.post(f"/notifications/{rooms.first().pk}/delete/")
    assert rooms.count() == 1


def test_a_malformed_room_is_refused_with_the_reason(lead_client):
    response = lead_client.post(
        URL, {"form": "room", "room": "bootc", "kinds": [EventKind.BLOCKER_CRITICAL]}
    )
    assert response.status_code == 400
    assert "Give a room ID" in response.content.decode()
    assert not Subscription.objects.exists()


def test_a_superuser_sees_subscriptions_in_the_admin_and_removes_them(client, admin_user, member):
    """The admin (superusers only) adds and edits no subscription (the page does, through the
    service); a superuser removes one there through the service, under the page's rule."""
    client.force_login(admin_user)
    mine = Subscription.objects.create(
        kind=EventKind.IMAGE_RECOVERED, channel=Channel.EMAIL, user=member
    )

    assert client.get("/admin/notifications/subscription/").status_code == 200
    assert client.get("/admin/notifications/subscription/add/").status_code == 403
    response = client.post(
        "/admin/notifications/subscription/add/",
        {
            "kind": EventKind.IMAGE_RECOVERED,
            "channel": Channel.MATRIX,
            "room": "!o:x.org",
            "active": "on",
        },
    )
    assert response.status_code == 403
    response = client.post(f"/admin/notifications/subscription/{mine.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Subscription.objects.exists()
    assert client.get("/admin/notifications/notification/").status_code == 200
