"""The meetings admin shows meetings, reviews and action items; only the services change them."""

import pytest

pytestmark = pytest.mark.django_db


def test_meetings_are_read_in_the_admin_and_never_changed_there(admin_client, meetings):
    _, meeting = meetings
    assert admin_client.get("/admin/meetings/meeting/").status_code == 200
    page = admin_client.get(f"/admin/meetings/meeting/{meeting.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    for model in ("meeting", "blockerreview", "actionitem"):
        assert admin_client.get(f"/admin/meetings/{model}/add/").status_code == 403
    response = admin_client.post(
        f"/admin/meetings/meeting/{meeting.pk}/change/", {"title": "Renamed"}
    )
    assert response.status_code == 403
    assert admin_client.post(f"/admin/meetings/meeting/{meeting.pk}/delete/").status_code == 403
    meeting.refresh_from_db()
    assert meeting.title != "Renamed"
