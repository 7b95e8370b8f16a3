"""Text validators: what a title may not contain, refused on the pages and in the API alike."""

import pytest

from fedimage.initiative.models import Blocker

pytestmark = pytest.mark.django_db


def test_control_characters_and_line_breaks_in_titles_are_refused(member_client, initiative):
    response = member_client.post(
        "/blockers/new/", {"title": "Bad\x0btitle here", "severity": "major", "category": "other"}
    )
    assert response.status_code == 400
    assert "Remove the control characters from this text." in response.content.decode()
    api = member_client.post(
        "/api/blockers/", {"title": "Two\nlines of title"}, content_type="application/json"
    )
    assert api.status_code == 400
    assert Blocker.objects.count() == 0
