import pytest
import yaml

from fedimage.initiative.models import Blocker, Migration, Milestone, MilestoneStatus, Stage
from fedimage.initiative.services import blocker_file

pytestmark = pytest.mark.django_db


def test_lists_are_paginated_and_filterable(client, initiative):
    releases = client.get("/api/releases/").json()
    assert releases["count"] == 3
    milestones = client.get("/api/milestones/?release=f45").json()
    assert [m["key"] for m in milestones["results"]] == [
        "production-pipeline",
        "production-base-images",
        "production-subproject-artifacts",
        "universal-installer",
    ]
    assert milestones["results"][2]["progress_label"] == "0 of 8 subprojects there"
    subprojects = client.get("/api/subprojects/?kind=desktop").json()
    assert subprojects["count"] == 5
    assert (
        subprojects["results"][0]["migration"]["stage_label"]
        == "Consuming the base image in development"
    )
    assert client.get("/api/migrations/coreos/").json()["beta_target"] == "f44"


def test_invalid_filter_values_get_field_level_errors(client, initiative):
    response = client.get("/api/blockers/?severity=apocalyptic")
    assert response.status_code == 400
    assert "severity" in response.json()


def test_member_files_a_blocker_through_the_api(member_client, initiative):
    response = member_client.post(
        "/api/blockers/",
        {
            "title": "Konflux release race",
            "severity": "critical",
            "category": "konflux",
            "milestones": ["clean-dev-pipeline"],
            "subprojects": ["base-images"],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reporter"] == "stakeholder"
    assert body["milestones"] == ["clean-dev-pipeline"]
    assert body["url"].endswith(f"/blockers/{body['id']}/")
    assert Blocker.objects.get().history.count() == 1


def test_bad_blocker_input_gets_field_errors_and_writes_nothing(member_client, initiative):
    response = member_client.post(
        "/api/blockers/",
        {
            "title": "x",
            "severity": "apocalyptic",
            "milestones": ["no-such-milestone"],
            "tracking_url": "nope",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"title", "severity", "milestones", "tracking_url"}
    assert Blocker.objects.count() == 0


def test_anonymous_clients_cannot_write(client, initiative):
    """Anonymous writes are asked to authenticate: 401 with the API's challenge."""
    response = client.post("/api/blockers/", {"title": "Anonymous blocker"})
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    response = client.patch(
        "/api/milestones/clean-dev-pipeline/", {"status": "done"}, content_type="application/json"
    )
    assert response.status_code == 401


def test_only_leads_patch_milestones_and_migrations(member_client, lead, initiative):
    assert (
        member_client.patch(
            "/api/milestones/clean-dev-pipeline/",
            {"status": "done"},
            content_type="application/json",
        ).status_code
        == 403
    )
    member_client.force_login(lead)
    response = member_client.patch(
        "/api/milestones/clean-dev-pipeline/",
        {"status": "at_risk", "note": "race"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "at_risk"
    assert Milestone.objects.get(key="clean-dev-pipeline").status == MilestoneStatus.AT_RISK
    bad = member_client.patch("/api/migrations/iot/", {"stage": 7}, content_type="application/json")
    assert bad.status_code == 400
    assert "stage" in bad.json()
    ok = member_client.patch("/api/migrations/iot/", {"stage": 2}, content_type="application/json")
    assert ok.status_code == 200
    assert Migration.objects.get(subproject__key="iot").stage == Stage.BETA


def test_blocker_patch_checks_who_may_edit(client, member, other_member, initiative):
    blocker = blocker_file(reporter=member, title="Something is broken")
    client.force_login(other_member)
    assert (
        client.patch(
            f"/api/blockers/{blocker.pk}/", {"status": "resolved"}, content_type="application/json"
        ).status_code
        == 403
    )
    client.force_login(member)
    response = client.patch(
        f"/api/blockers/{blocker.pk}/", {"status": "resolved"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["closed_at"] is not None


def test_private_blockers_stay_out_of_anonymous_api_answers(client, member, initiative):
    blocker_file(reporter=member, title="Embargoed issue", private=True)
    assert client.get("/api/blockers/").json()["count"] == 0


def test_openapi_schema_describes_every_endpoint(client, initiative):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    for path in (
        "/api/releases/",
        "/api/milestones/",
        "/api/subprojects/",
        "/api/migrations/",
        "/api/blockers/",
    ):
        assert path in schema["paths"]


def test_api_refuses_fields_it_does_not_take_instead_of_crashing(member_client, initiative):
    response = member_client.post(
        "/api/blockers/",
        {"title": "Konflux release race", "status": "resolved", "colour": "red"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {"colour": ["Unknown field."], "status": ["Unknown field."]}
    assert Blocker.objects.count() == 0


def test_private_blockers_do_not_reach_anonymous_api_details_or_counts(client, member, initiative):
    milestone = Milestone.objects.get(key="clean-dev-pipeline")
    blocker = blocker_file(
        reporter=member, title="Embargoed CVE", private=True, milestones=[milestone]
    )
    assert client.get(f"/api/blockers/{blocker.pk}/").status_code == 404
    body = client.get("/api/milestones/clean-dev-pipeline/").json()
    assert (body["blockers_open"], body["blockers_total"]) == (0, 0)
    assert "Embargoed" not in client.get("/milestones/clean-dev-pipeline/").content.decode()
    assert "Embargoed" not in client.get("/changes/").content.decode()
