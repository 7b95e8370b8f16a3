"""One browsable API root lists the endpoints of every app."""

import pytest


@pytest.mark.django_db
def test_the_api_root_lists_every_apps_endpoints(client):
    response = client.get("/api/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    listed = {name: url.removeprefix("http://testserver") for name, url in response.json().items()}
    assert listed == {
        "releases": "/api/releases/",
        "milestones": "/api/milestones/",
        "subprojects": "/api/subprojects/",
        "migrations": "/api/migrations/",
        "blockers": "/api/blockers/",
        "health/images": "/api/health/images/",
        "health/tags": "/api/health/tags/",
        "trackers/sources": "/api/trackers/sources/",
        "trackers/issues": "/api/trackers/issues/",
        "trackers/runs": "/api/trackers/runs/",
        "ci/runs": "/api/ci/runs/",
        "meetings/action-items": "/api/meetings/action-items/",
        "meetings/reviews": "/api/meetings/reviews/",
        "meetings": "/api/meetings/",
        "reports/upstream": "/api/reports/upstream/",
        "reports/releases": "/api/reports/releases/",
    }
    for url in listed.values():
        assert client.get(url, HTTP_ACCEPT="application/json").status_code == 200, url


@pytest.mark.django_db
def test_the_browsable_root_says_what_the_api_holds(client):
    page = client.get("/api/", HTTP_ACCEPT="text/html").content.decode()

    assert "The fedimage API" in page
    assert "/api/trackers/issues/" in page
