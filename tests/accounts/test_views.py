"""The profile page: e-mail, Matrix ID, time zone, notification subscriptions."""

import re

import pytest
from django.core import mail
from django.utils import timezone

from fedimage.accounts.models import Profile
from fedimage.initiative.models import Subproject
from fedimage.notifications.models import Channel, EventKind, Subscription

pytestmark = pytest.mark.django_db


def test_the_profile_needs_a_sign_in(client):
    assert client.get("/accounts/profile/")["Location"].startswith("/accounts/login/")


def test_matrix_id_and_time_zone_are_saved_and_dates_shown_in_it(member_client, member):
    response = member_client.post(
        "/accounts/profile/",
        {"form": "profile", "matrix_id": "@stake:fedora.im", "time_zone": "Asia/Tokyo"},
    )
    assert response.status_code == 302
    profile = Profile.objects.get(user=member)
    assert (profile.matrix_id, profile.time_zone) == ("@stake:fedora.im", "Asia/Tokyo")
    page = member_client.get("/accounts/profile/").content.decode()
    assert "Times are shown in Asia/Tokyo" in page
    assert re.search(r"\d{2}:\d{2} JST", page)


def test_bad_profile_input_changes_nothing(member_client, member):
    response = member_client.post(
        "/accounts/profile/",
        {"form": "profile", "matrix_id": "stake at fedora", "time_zone": "Mars/Olympus"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Give a Matrix user ID" in body or "Select a valid choice" in body
    assert not Profile.objects.filter(user=member).exists()


def test_the_time_zone_follows_the_person_into_new_sessions(client, member):
    Profile.objects.create(user=member, time_zone="America/New_York")
    client.post("/accounts/login/", {"username": "stakeholder", "password": "pw-member-123"})

    assert client.session["fedimage_tz"] == "America/New_York"
    page = client.get("/accounts/profile/").content.decode()
    assert re.search(r"\d{2}:\d{2} E[SD]T", page)
    assert timezone.get_current_timezone_name() == "UTC"  # nothing leaks out of the request


def test_a_local_account_sets_its_email_by_a_confirmation_link(member_client, member):
    response = member_client.post(
        "/accounts/profile/", {"form": "email", "email": "me@example.org"}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.email == ""
    assert mail.outbox[-1].to == ["me@example.org"]
    link = re.search(r"http://testserver(\S+)", mail.outbox[-1].body).group(1)

    assert member_client.get(link).status_code == 302
    member.refresh_from_db()
    assert member.email == "me@example.org"


def test_a_confirmation_link_is_only_for_its_account(client, member, other_member):
    client.force_login(member)
    client.post("/accounts/profile/", {"form": "email", "email": "me@example.org"})
    link = re.search(r"http://testserver(\S+)", mail.outbox[-1].body).group(1)
    client.force_login(other_member)
    assert client.get(link).status_code == 403
    other_member.refresh_from_db()
    assert other_member.email == ""
    tampered = link[:-3] + "xx/"
    client.force_login(member)
    response = client.get(tampered, follow=True)
    assert "not valid" in response.content.decode()


def test_subscriptions_are_set_through_the_notifications_service(member_client, member):
    response = member_client.post(
        "/accounts/profile/", {"form": "subscriptions", "kinds": [EventKind.BLOCKER_CRITICAL]}
    )
    assert response.status_code == 302
    active = Subscription.objects.filter(user=member, channel=Channel.EMAIL, active=True)
    assert list(active.values_list("kind", flat=True)) == [EventKind.BLOCKER_CRITICAL]
    page = member_client.get("/accounts/profile/").content.decode()
    assert re.search(r'value="blocker_critical"[^>]*checked', page)


def test_the_profile_says_what_the_person_may_do(lead_client, initiative):
    page = lead_client.get("/accounts/profile/").content.decode()
    assert "Lead: milestone statuses" in page
    assert "Member: file blockers" in page


def test_subproject_owners_are_told_so(client, initiative, django_user_model):
    subproject = Subproject.objects.get(key="coreos")
    subproject.owners = "dustymabe, Travier"
    subproject.save(update_fields=["owners"])
    owner = django_user_model.objects.create_user("travier", password="x-123-pw-9")
    client.force_login(owner)
    assert f"Owner of {subproject.name}" in client.get("/accounts/profile/").content.decode()


# The header's "Sign in" link comes back to the page it was followed from, never nested.


def sign_in_links(html: str) -> list[str]:
    return re.findall(r'<a class="button" href="([^"]*)"[^>]*>Sign in</a>', html)


def test_sign_in_link_on_the_sign_in_page_keeps_its_next_instead_of_nesting(client):
    assert sign_in_links(client.get("/blockers/?q=x").content.decode()) == [
        "/accounts/login/?next=/blockers/%3Fq%3Dx"
    ]
    url = "/accounts/login/?next=/blockers/%3Fq%3Dx"
    for _ in range(3):  # following it again and again leads to the same page
        (link,) = sign_in_links(client.get(url).content.decode().replace("&amp;", "&"))
        assert link == url
        url = link
