"""The health admin: watched images come from the initiative file, states from the polls."""

import pytest

from fedimage.health.models import WatchedImage

pytestmark = pytest.mark.django_db


def test_images_and_state_changes_are_read_in_the_admin_and_never_changed_there(
    admin_client, initiative
):
    image = WatchedImage.objects.first()
    page = admin_client.get(f"/admin/health/watchedimage/{image.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    for model in ("watchedimage", "statechange"):
        assert admin_client.get(f"/admin/health/{model}/").status_code == 200
        assert admin_client.get(f"/admin/health/{model}/add/").status_code == 403
    response = admin_client.post(
        f"/admin/health/watchedimage/{image.pk}/change/", {"name": "Renamed"}
    )
    assert response.status_code == 403
    image.refresh_from_db()
    assert image.name != "Renamed"
