"""API throttles: fixed windows of the rate's period, per user and per anonymous address."""

import pytest

pytestmark = pytest.mark.django_db


def test_retry_after_is_the_time_left_in_the_window(client, initiative, settings, throttle_clock):
    settings.API_THROTTLE_ANON = "2/minute"
    for _ in range(2):
        assert client.get("/api/milestones/").status_code == 200
    response = client.get("/api/milestones/")
    assert response.status_code == 429
    assert response["Retry-After"] == "40"  # the clock stands 20 s into the minute
    throttle_clock.now += 39.5
    assert client.get("/api/milestones/")["Retry-After"] == "1"
    throttle_clock.now += 0.5  # the next window
    assert client.get("/api/milestones/").status_code == 200


def test_a_signed_in_user_has_the_user_rate_not_the_address_rate(
    client, initiative, member, settings, throttle_clock
):
    settings.API_THROTTLE_ANON = "1/minute"
    settings.API_THROTTLE_USER = "3/minute"
    client.force_login(member)
    # The same address, signed in: three, and none of them counted against the address.
    assert [client.get("/api/milestones/").status_code for _ in range(4)] == [200] * 3 + [429]
    client.logout()
    assert [client.get("/api/milestones/").status_code for _ in range(2)] == [200, 429]
