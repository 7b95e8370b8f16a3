"""The read-only meetings API: meetings with their agenda, action items, reviews and votes."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fedimage.initiative.models import Severity
from fedimage.initiative.services import blocker_file
from fedimage.meetings.models import Meeting
from fedimage.meetings.services import action_item_add, review_decide, vote_cast
from tests.meetings.conftest import T0, WEEK

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(clock, meetings, lead, member):
    """This week's meeting: a blocker filed since the last one, voted on and decided."""
    _previous, current = meetings
    current.attendees.set([lead, member])
    clock.set(T0 + WEEK / 2)
    blocker = blocker_file(reporter=member, title="bootc upgrade loops", severity=Severity.MAJOR)
    vote_cast(blocker=blocker, user=member, value=1, comment="hits every upgrade")
    clock.set(T0 + WEEK + WEEK / 100)
    review_decide(blocker=blocker, meeting=current, user=lead, state="accepted", reason="+1 all")
    action_item_add(
        meeting=current, user=lead, owner=member, text="write it up", due_date=date(2030, 11, 27)
    )
    return current, blocker


def test_meetings_are_listed_latest_first_without_login(client, meetings):
    previous, current = meetings
    response = client.get("/api/meetings/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["id"] for r in rows] == [current.pk, previous.pk]
    assert rows[0]["chair"] == "leader"
    assert rows[0]["url"].endswith(f"/meetings/{current.pk}/")


def test_a_meeting_has_its_agenda_summary_decisions_actions_and_votes(client, held, clock):
    meeting, blocker = held
    data = client.get(f"/api/meetings/{meeting.pk}/").json()

    sections = {s["key"]: s for s in data["agenda"]["sections"]}
    assert sections["blockers-filed"]["count"] == 1
    assert sections["blockers-filed"]["items"][0]["label"].endswith("bootc upgrade loops")
    assert data["agenda"]["previous_meeting"] == Meeting.objects.order_by("starts_at")[0].pk
    assert [d["text"] for d in data["decisions"]] == [
        f"#{blocker.pk} bootc upgrade loops: accepted as a blocker "
        "(+1 all; votes +1: 1, 0: 0, -1: 0)"
    ]
    [item] = data["action_items"]
    assert (item["owner"], item["text"], item["due_date"]) == (
        "stakeholder",
        "write it up",
        "2030-11-27",
    )
    [review] = data["reviews"]
    assert review["state"] == "accepted"
    assert review["votes"] == [
        {
            "voter": "stakeholder",
            "value": 1,
            "comment": "hits every upgrade",
            "cast_at": review["votes"][0]["cast_at"],
        }
    ]
    assert review["not_voted"] == ["leader"]


def test_reviews_list_the_named_votes_and_filter_by_state(client, held):
    _, blocker = held
    rows = client.get("/api/meetings/reviews/?state=accepted").json()["results"]
    assert [(r["blocker"], r["score"], [v["voter"] for v in r["votes"]]) for r in rows] == [
        (blocker.pk, 1, ["stakeholder"])
    ]
    assert client.get("/api/meetings/reviews/?state=rejected").json()["results"] == []
    assert client.get(f"/api/meetings/reviews/{blocker.pk}/").json()["decided_by"] == "leader"


def test_action_items_filter_by_owner_and_status(client, held):
    assert len(client.get("/api/meetings/action-items/?owner=stakeholder").json()["results"]) == 1
    assert client.get("/api/meetings/action-items/?owner=leader").json()["results"] == []
    assert client.get("/api/meetings/action-items/?status=done").json()["results"] == []


def test_private_blockers_and_their_votes_are_for_members_only(member_client, member):
    blocker = blocker_file(reporter=member, title="Embargoed CVE", private=True)
    vote_cast(blocker=blocker, user=member, value=1)
    anonymous = Client()

    assert anonymous.get("/api/meetings/reviews/").json()["results"] == []
    assert anonymous.get(f"/api/meetings/reviews/{blocker.pk}/").status_code == 404
    rows = member_client.get("/api/meetings/reviews/").json()["results"]
    assert [r["blocker"] for r in rows] == [blocker.pk]


def test_the_api_is_read_only(lead_client, meetings):
    _, current = meetings
    assert lead_client.post("/api/meetings/", {"starts_at": "2030-01-01T00:00Z"}).status_code == 405
    assert lead_client.delete(f"/api/meetings/{current.pk}/").status_code == 405


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_queries_stay_constant_as_meetings_and_votes_grow(client, lead, member, other_member):
    def grow(n: int) -> None:
        for i in range(n):
            meeting = Meeting.objects.create(starts_at=T0 + i * WEEK, chair=lead)
            meeting.attendees.set([lead, member])
            action_item_add(meeting=meeting, user=lead, owner=member, text=f"item {i}")
            blocker = blocker_file(reporter=member, title=f"blocker {i}")
            vote_cast(blocker=blocker, user=member, value=1)
            vote_cast(blocker=blocker, user=other_member, value=-1)

    grow(2)
    few = [_queries(client, f"/api/meetings/{p}") for p in ("", "action-items/", "reviews/")]
    grow(5)
    many = [_queries(client, f"/api/meetings/{p}") for p in ("", "action-items/", "reviews/")]
    assert few == many
