"""Password guessing is stopped: a username and address are locked after a few failures."""

import base64

import pytest
from axes.models import AccessAttempt, AccessFailureLog

pytestmark = pytest.mark.django_db


def basic(username, password):
    return {
        "HTTP_AUTHORIZATION": "Basic "
        + base64.b64encode(f"{username}:{password}".encode()).decode()
    }


def test_the_sign_in_form_locks_after_five_failures(client, member, settings):
    for _ in range(4):
        response = client.post("/accounts/login/", {"username": "stakeholder", "password": "wrong"})
        assert response.status_code == 200
        assert "enter a correct username and password" in response.content.decode()

    response = client.post("/accounts/login/", {"username": "stakeholder", "password": "wrong"})

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    body = response.content.decode()
    assert "Too many failed sign-ins for “stakeholder” from your address" in body
    # Locked: even the right password is refused now, from this address.
    response = client.post(
        "/accounts/login/", {"username": "stakeholder", "password": "pw-member-123"}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # The audit trail: who, from where, how often.
    attempt = AccessAttempt.objects.get(username="stakeholder")
    assert attempt.ip_address == "127.0.0.1"
    assert attempt.failures_since_start >= 5
    assert AccessFailureLog.objects.filter(username="stakeholder", locked_out=True).exists()


def test_the_lock_is_per_address(client, member):
    for _ in range(5):
        client.post("/accounts/login/", {"username": "stakeholder", "password": "wrong"})

    response = client.post(
        "/accounts/login/",
        {"username": "stakeholder", "password": "pw-member-123"},
        REMOTE_ADDR="192.0.2.7",
    )

    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == member.pk


def test_a_success_before_the_limit_resets_the_count(client, member):
    for _ in range(4):
        client.post("/accounts/login/", {"username": "stakeholder", "password": "wrong"})
    assert (
        client.post(
            "/accounts/login/", {"username": "stakeholder", "password": "pw-member-123"}
        ).status_code
        == 302
    )
    client.post("/accounts/logout/")
    assert (
        client.post(
            "/accounts/login/", {"username": "stakeholder", "password": "wrong"}
        ).status_code
        == 200
    )


def test_basic_auth_is_off_in_production(client, member, initiative):
    response = client.get("/api/blockers/", **basic("stakeholder", "pw-member-123"))
    # Without Basic auth the credentials are ignored: an anonymous read, never a sign-in.
    assert response.status_code == 200
    response = client.post(
        "/api/blockers/", {"title": "x"}, **basic("stakeholder", "pw-member-123")
    )
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer realm=")


@pytest.fixture
def basic_auth_on(settings):
    settings.API_BASIC_AUTH = True


def test_failed_basic_auth_answers_401_with_its_challenge(
    client, member, initiative, basic_auth_on
):
    response = client.get("/api/blockers/", **basic("stakeholder", "wrong"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith('Basic realm="fedimage"')
    assert client.get("/api/blockers/", **basic("stakeholder", "pw-member-123")).status_code == 200


def test_basic_auth_locks_after_five_failures(client, member, initiative, basic_auth_on):
    for _ in range(4):
        assert client.get("/api/blockers/", **basic("stakeholder", "wrong")).status_code == 401

    response = client.get("/api/blockers/", **basic("stakeholder", "wrong"))

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many failed sign-ins" in response.json()["detail"]
    response = client.get("/api/blockers/", **basic("stakeholder", "pw-member-123"))
    assert response.status_code == 429
    assert AccessFailureLog.objects.filter(username="stakeholder", locked_out=True).exists()
