"""The trackers' read-only REST API: sources with their listing status, issues, runs."""

from datetime import timedelta

from django.utils import timezone

from tests.trackers.factories import issues_for


def test_a_source_says_where_its_listing_stands(sources, client):
    github = sources[1]
    now = timezone.now()
    github.failing_since = now - timedelta(minutes=5)
    github.paused_until = now + timedelta(minutes=20)
    github.listing = {"position": {"read_upto": 30}, "page": 3, "pages_total": 9}
    github.save()

    data = client.get("/api/trackers/sources/bootc/").json()

    status = data["listing_status"]
    assert (status["state"], status["resume_page"], status["pages_total"]) == ("paused", 4, 9)
    assert status["text"].startswith("Listing failing since ")
    assert "resuming at page 4 of 9" in status["text"]
    assert data["is_failing"] is True
    assert data["failing_since"] is not None


def test_the_api_exposes_the_token_variable_name_never_a_token(sources, client, monkeypatch):
    monkeypatch.setenv("FEDIMAGE_GITHUB_TOKEN", "ghp_real_token_value")
    data = client.get("/api/trackers/sources/bootc/").json()
    assert data["token_env"] == "FEDIMAGE_GITHUB_TOKEN"
    assert "ghp_real_token_value" not in client.get("/api/trackers/sources/").content.decode()


def test_issues_filter_by_source_label_and_state_and_are_read_only(sources, client, member):
    _, github = sources
    issues_for(github, 4)
    data = client.get("/api/trackers/issues/?source=bootc&label=bug&state=open").json()
    assert [i["reference"] for i in data["results"]] == ["bootc-dev/bootc#3", "bootc-dev/bootc#1"]
    assert data["results"][0]["author_migrated"] is False
    client.force_login(member)
    assert client.post("/api/trackers/issues/", {}).status_code == 405
