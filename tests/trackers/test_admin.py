"""The trackers admin: issues, runs and webhook deliveries are the sync's to write."""

import pytest

from tests.trackers.factories import issues_for
from trackers.models import TrackedIssue

pytestmark = pytest.mark.django_db


def test_tracked_issues_are_read_in_the_admin_and_never_changed_there(admin_client, sources):
    issues_for(sources[1], 1)
    issue = TrackedIssue.objects.get()
    page = admin_client.get(f"/admin/trackers/trackedissue/{issue.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    source = admin_client.get(f"/admin/trackers/trackersource/{sources[1].pk}/change/")
    assert source.status_code == 200
    for model in ("trackedissue", "syncrun", "webhookdelivery"):
        assert admin_client.get(f"/admin/trackers/{model}/").status_code == 200
        assert admin_client.get(f"/admin/trackers/{model}/add/").status_code == 403
    response = admin_client.post(
        f"/admin/trackers/trackedissue/{issue.pk}/change/", {"title": "Renamed"}
    )
    assert response.status_code == 403
    issue.refresh_from_db()
    assert issue.title != "Renamed"
