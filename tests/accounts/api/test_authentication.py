"""Personal API tokens: created once on the profile, stored hashed, no more than their user."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from fedimage.accounts import services
from fedimage.accounts.models import ApiToken

pytestmark = pytest.mark.django_db

BLOCKER = {
    "title": "Konflux release race",
    "severity": "major",
    "category": "konflux",
    "milestones": ["clean-dev-pipeline"],
}


def bearer(key, scheme="Bearer"):
    return {"HTTP_AUTHORIZATION": f"{scheme} {key}"}


def test_a_token_is_shown_once_and_stored_hashed(member_client, member):
    response = member_client.post(
        "/accounts/profile/", {"form": "token", "name": "release script", "expires_in_days": "90"}
    )

    assert response.status_code == 201
    key = re.search(r'id="new-token">([^<]+)<', response.content.decode()).group(1)
    assert key.startswith("fdi_")
    assert len(key) > 40
    token = ApiToken.objects.get(user=member)
    assert token.name == "release script"
    assert key not in (token.digest, token.prefix)
    assert key.startswith(token.prefix)
    assert token.digest == services.token_digest(key)
    assert token.expires_at > timezone.now() + timedelta(days=89)
    page = member_client.get("/accounts/profile/").content.decode()
    assert "release script" in page
    assert key not in page


def test_a_token_writes_what_its_user_may_and_no_more(client, member, initiative):
    _, key = services.api_token_create(user=member, name="ci")

    response = client.post(
        "/api/blockers/", BLOCKER, content_type="application/json", **bearer(key)
    )
    assert response.status_code == 201, response.content
    assert response.json()["reporter"] == "stakeholder"

    response = client.patch(
        "/api/milestones/clean-dev-pipeline/",
        {"status": "done"},
        content_type="application/json",
        **bearer(key, "Token"),
    )
    assert response.status_code == 403
    # A token opens the API only, never a browser session.
    assert client.get("/accounts/profile/", **bearer(key)).status_code == 302
    token = ApiToken.objects.get(user=member)
    assert token.last_used_at is not None
    assert token.last_used_ip == "127.0.0.1"


def test_a_lead_token_may_do_what_leads_do(client, lead, initiative):
    _, key = services.api_token_create(user=lead, name="ops")
    response = client.patch(
        "/api/milestones/clean-dev-pipeline/",
        {"status": "done"},
        content_type="application/json",
        **bearer(key),
    )
    assert response.status_code == 200, response.content


def test_a_revoked_token_gets_401(client, member_client, member, initiative):
    _, key = services.api_token_create(user=member, name="old laptop")
    assert client.get("/api/blockers/", **bearer(key)).status_code == 200
    token = ApiToken.objects.get(user=member)

    assert member_client.post(f"/accounts/profile/tokens/{token.pk}/revoke/").status_code == 302

    response = client.get("/api/blockers/", **bearer(key))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="fedimage", error="invalid_token"'
    assert "revoked" in member_client.get("/accounts/profile/").content.decode()


def test_an_expired_or_unknown_token_gets_401(client, member, initiative):
    token, key = services.api_token_create(user=member, name="short", expires_in_days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/blockers/", **bearer(key)).status_code == 401
    assert client.get("/api/blockers/", **bearer("fdi_nonsense")).status_code == 401
    assert client.get("/api/blockers/", HTTP_AUTHORIZATION="Bearer").status_code == 401


def test_nobody_revokes_another_persons_token(client, member, other_member):
    token, _ = services.api_token_create(user=member, name="mine")
    client.force_login(other_member)
    assert client.post(f"/accounts/profile/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_token_names_are_checked(member_client, member):
    services.api_token_create(user=member, name="ci")
    response = member_client.post(
        "/accounts/profile/", {"form": "token", "name": "ci", "expires_in_days": ""}
    )
    assert response.status_code == 400
    assert "already have a token with this name" in response.content.decode()
    assert ApiToken.objects.filter(user=member).count() == 1


@pytest.fixture
def empty_throttle(throttle_clock):
    return throttle_clock


def test_the_user_throttle_answers_429_with_retry_after(
    client, member, initiative, settings, empty_throttle
):
    settings.API_THROTTLE_USER = "3/minute"
    _, key = services.api_token_create(user=member, name="loop")
    for _ in range(3):
        assert client.get("/api/milestones/", **bearer(key)).status_code == 200

    response = client.get("/api/milestones/", **bearer(key))

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60


def test_the_anonymous_throttle_counts_per_address(client, initiative, settings, empty_throttle):
    settings.API_THROTTLE_ANON = "2/minute"
    for _ in range(2):
        assert client.get("/api/milestones/").status_code == 200
    response = client.get("/api/milestones/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert client.get("/api/milestones/", REMOTE_ADDR="198.51.100.4").status_code == 200


def test_behind_a_proxy_the_forwarded_address_counts(client, initiative, settings, empty_throttle):
    settings.API_THROTTLE_ANON = "1/minute"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client.get("/api/milestones/", HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 200
    assert client.get("/api/milestones/", HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == 200
    assert client.get("/api/milestones/", HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 429


def test_without_proxies_a_forwarded_header_changes_nothing(
    client, initiative, settings, empty_throttle
):
    settings.API_THROTTLE_ANON = "1/minute"
    assert client.get("/api/milestones/", HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 200
    assert client.get("/api/milestones/", HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == 429
