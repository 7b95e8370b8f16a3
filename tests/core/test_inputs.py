"""No input reaches a 500: each request that did (issue #11) is a 4xx naming what is wrong.

Each test sends the request that answered 500 before and checks the answer and that nothing
changed.
"""

import base64
import json

import pytest

from fedimage.core.inputs import json_depth
from fedimage.initiative.models import Blocker, Migration, Milestone

pytestmark = pytest.mark.django_db

DETAIL_PATHS = [
    "/api/releases/a%00b/",
    "/api/milestones/a%00b/",
    "/api/subprojects/a%00b/",
    "/api/migrations/a%00b/",
    "/api/health/images/a%00b/",
    "/api/trackers/sources/a%00b/",
]


@pytest.mark.parametrize("path", DETAIL_PATHS)
def test_a_nul_in_a_detail_slug_is_a_400(client, path):
    response = client.get(path)

    assert response.status_code == 400
    assert response.json() == {"detail": "The path holds a null character."}


def test_a_nul_in_a_query_parameter_is_a_400(client):
    response = client.get("/api/blockers/?milestone=a%00b")

    assert response.status_code == 400
    assert "null character" in response.json()["detail"]


def test_a_nul_in_a_page_path_is_a_plain_400(client):
    response = client.get("/trackers/sources/a%00b/")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize("offset", ["+16:00", "-16:00", "+23:59"])
def test_a_far_utc_offset_in_a_date_filter_is_answered(client, offset):
    response = client.get(
        "/api/trackers/issues/", {"updated_after": f"2026-01-01T00:00:00{offset}"}
    )

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_a_date_beyond_the_calendar_in_utc_is_a_400_naming_the_filter(client):
    response = client.get("/api/trackers/issues/", {"updated_after": "0001-01-01T00:00:00+16:00"})

    assert response.status_code == 400
    assert "updated_after" in response.json()


@pytest.mark.parametrize("field", ["milestones", "subprojects", "owner"])
def test_a_nul_in_a_blocker_link_field_is_a_400_naming_it(member_client, initiative, field):
    value = "a\x00b" if field == "owner" else ["a\x00b"]
    response = member_client.post(
        "/api/blockers/",
        {"title": "A blocker with a NUL", field: value},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert response.json()[field][0].startswith("Null characters are not allowed.")
    assert not Blocker.objects.exists()


def test_a_nul_in_a_posted_api_form_is_a_400(member_client, initiative):
    response = member_client.post(
        "/api/blockers/", {"title": "A blocker with a NUL", "milestones": "a\x00b"}
    )

    assert response.status_code == 400
    assert not Blocker.objects.exists()


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/blockers/"),
        ("patch", "/api/milestones/universal-installer/"),
        ("patch", "/api/migrations/coreos/"),
    ],
)
def test_deeply_nested_json_is_a_400_before_parsing(lead_client, initiative, method, path):
    body = '{"title": "Deep", "note": ' + nested(100_000) + "}"
    before = list(Milestone.objects.values_list("status", "status_note"))

    response = getattr(lead_client, method)(path, body, content_type="application/json")

    assert response.status_code == 400
    assert "nested deeper than 32 levels" in response.json()["detail"]
    assert not Blocker.objects.exists()
    assert list(Milestone.objects.values_list("status", "status_note")) == before


def test_nesting_within_the_limit_is_parsed(lead_client, initiative):
    body = json.dumps({"stage": 1, "note": json.loads(nested(31))})

    response = lead_client.patch("/api/migrations/coreos/", body, content_type="application/json")

    assert response.status_code == 400
    assert "note" in response.json()  # a list is not a note: a field error, not a depth one


@pytest.mark.parametrize("number", [2**31, -(2**31) - 1, 10**30])
def test_an_integer_beyond_the_database_is_a_400_naming_the_field(lead_client, initiative, number):
    stage = Migration.objects.get(subproject__key="coreos").stage

    response = lead_client.patch(
        "/api/migrations/coreos/", {"stage": number}, content_type="application/json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["stage"]
    assert Migration.objects.get(subproject__key="coreos").stage == stage


def test_a_body_over_the_limit_is_a_413(member_client, initiative, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"title": "Too big", "description": "x" * 2000})

    response = member_client.post("/api/blockers/", body, content_type="application/json")

    assert response.status_code == 413
    assert "larger than 1000 bytes" in response.json()["detail"]
    assert not Blocker.objects.exists()


def test_json_depth_ignores_brackets_in_strings():
    assert json_depth(b'{"a": "[[[[{{{", "b": [[1], {"c": "]]]\\"[["}]}') == 3


def test_an_unknown_query_parameter_on_a_list_is_a_400_naming_it(client, initiative):
    response = client.get("/api/blockers/", {"private": "true", "status": "open"})

    assert response.status_code == 400
    assert list(response.json()) == ["private"]
    assert "this endpoint knows:" in response.json()["private"][0]
    assert "status" in response.json()["private"][0]


def test_known_query_parameters_are_accepted(client, initiative):
    params = {"search": "x", "ordering": "-created_at", "page": "1", "format": "json"}

    assert client.get("/api/blockers/", params).status_code == 200
    assert client.get("/api/trackers/issues/", {"removed": "true"}).status_code == 200


def test_a_nul_in_basic_credentials_is_a_401(client, settings):
    settings.API_BASIC_AUTH = True
    credentials = base64.b64encode(b"a\x00b:password").decode()

    response = client.get("/api/blockers/", headers={"Authorization": f"Basic {credentials}"})

    assert response.status_code == 401


def test_an_api_filing_repeated_with_its_idempotency_key_files_one_blocker(
    member_client, initiative
):
    body = {"title": "Konflux release race"}
    headers = {"Idempotency-Key": "retry-7"}

    first = member_client.post(
        "/api/blockers/", body, content_type="application/json", headers=headers
    )
    again = member_client.post(
        "/api/blockers/", body, content_type="application/json", headers=headers
    )
    other = member_client.post("/api/blockers/", body, content_type="application/json")

    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert again.json()["id"] == first.json()["id"] != other.json()["id"]
    assert Blocker.objects.count() == 2


@pytest.mark.parametrize("path", ["/api/reports/releases/", "/api/reports/upstream/"])
def test_an_unknown_query_parameter_on_a_report_is_a_400(client, initiative, path):
    response = client.get(path, {"private": "1"})

    assert response.status_code == 400
    assert list(response.json()) == ["private"]
    assert client.get(path, {"format": "json"}).status_code == 200
