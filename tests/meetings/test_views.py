"""Meeting pages through the HTTP client: who may do what, the tally, the blocker page review."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fedimage.initiative.models import Blocker, BlockerStatus, Milestone
from fedimage.initiative.services import blocker_file, blocker_update
from fedimage.meetings import services
from fedimage.meetings.models import ActionItem, Decision, Meeting, ReviewState, Vote
from tests.accounts.factories import UserFactory
from tests.meetings.conftest import T0, WEEK

pytestmark = pytest.mark.django_db


@pytest.fixture
def blocker(initiative, member):
    return blocker_file(reporter=member, title="Composefs breaks on s390x")


def test_anyone_reads_the_meeting_list_and_pages(client, meetings, blocker):
    _, meeting = meetings
    assert client.get("/meetings/").status_code == 200
    page = client.get(f"/meetings/{meeting.pk}/")
    assert page.status_code == 200
    assert b"Composefs breaks on s390x" in page.content
    assert client.get(f"/meetings/{meeting.pk}/present/").status_code == 200


def test_a_lead_schedules_a_meeting_and_a_member_may_not(lead_client, lead, member, client):
    response = lead_client.post(
        "/meetings/",
        {"title": "", "starts_at": "2030-11-20T16:00", "duration_minutes": "60", "location": ""},
    )
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/meetings/{meeting.pk}/"
    assert (meeting.title, meeting.chair) == ("Fedora Image Mode weekly meeting", lead)
    assert meeting.starts_at == T0 + WEEK

    bad = lead_client.post("/meetings/", {"starts_at": "soon", "duration_minutes": "60"})
    assert bad.status_code == 400
    assert b"Enter a valid date/time." in bad.content

    client.force_login(member)
    assert client.post("/meetings/", {"starts_at": "2030-11-27T16:00"}).status_code == 403
    assert Meeting.objects.count() == 1


def test_members_vote_from_the_blocker_page_and_the_tally_shows_who_has_not(
    client, meetings, blocker, member, lead
):
    _, meeting = meetings
    meeting.attendees.set([member, lead])
    client.force_login(member)
    response = client.post(
        f"/meetings/blockers/{blocker.pk}/vote/",
        {"value": "1", "comment": "hits every s390x user", "next": f"/blockers/{blocker.pk}/"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/blockers/{blocker.pk}/"
    client.post(f"/meetings/blockers/{blocker.pk}/vote/", {"value": "-1"})
    assert Vote.objects.get().value == -1

    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert "+1: 0 · 0: 0 · -1: 1" in page
    assert "Not voted yet: <bdi>leader</bdi>" in page


def test_a_vote_never_redirects_off_site(member_client, blocker):
    response = member_client.post(
        f"/meetings/blockers/{blocker.pk}/vote/", {"value": "0", "next": "https://evil.example/"}
    )
    assert response["Location"] == f"/blockers/{blocker.pk}/"


def test_anonymous_votes_go_to_sign_in_and_bad_votes_change_nothing(member_client, blocker):
    response = Client().post(f"/meetings/blockers/{blocker.pk}/vote/", {"value": "1"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    member_client.post(f"/meetings/blockers/{blocker.pk}/vote/", {"value": "7"})
    assert Vote.objects.count() == 0


def test_only_leads_decide_reviews_and_record_decisions(member_client, meetings, blocker):
    _, meeting = meetings
    url = f"/meetings/{meeting.pk}/reviews/{blocker.pk}/"
    assert member_client.post(url, {"state": "accepted", "reason": "x"}).status_code == 403
    decision = f"/meetings/{meeting.pk}/decisions/"
    assert member_client.post(decision, {"text": "we agree"}).status_code == 403
    assert Decision.objects.count() == 0


def test_lead_runs_the_meeting_from_its_page(lead_client, meetings, blocker, member, lead):
    _, meeting = meetings
    base = f"/meetings/{meeting.pk}"
    lead_client.post(f"{base}/attendees/", {"usernames": "stakeholder, leader"})
    assert set(meeting.attendees.values_list("username", flat=True)) == {"stakeholder", "leader"}
    # Nobody voted: the decision is refused until someone does, and nothing is recorded.
    refused = lead_client.post(
        f"{base}/reviews/{blocker.pk}/", {"state": "accepted", "reason": "F45 beta"}, follow=True
    )
    assert f"Nobody has voted on #{blocker.pk}" in refused.content.decode()
    assert not Decision.objects.exists()
    # No decision is preselected: the select's first option is empty.
    page = lead_client.get(f"{base}/").content.decode()
    assert '<option value="" selected>Choose…</option>' in page
    assert f"Record the review of #{blocker.pk}" in page
    assert "Add a decision" in page
    services.vote_cast(blocker=blocker, user=member, value=1)
    lead_client.post(f"{base}/reviews/{blocker.pk}/", {"state": "accepted", "reason": "F45 beta"})
    lead_client.post(f"{base}/decisions/", {"text": "Meet again next week"})
    lead_client.post(
        f"{base}/actions/", {"owner": "stakeholder", "text": "file upstream", "due_date": ""}
    )
    lead_client.post(f"{base}/notes/", {"notes": "Short meeting."})

    blocker.review.refresh_from_db()
    assert blocker.review.state == ReviewState.ACCEPTED
    assert ActionItem.objects.get().owner == member
    page = lead_client.get(f"{base}/").content.decode()
    assert "AGREED:</strong> <bdi>Meet again next week" in page
    assert "accepted as a blocker (F45 beta;" in page
    assert "file upstream" in page


def test_unknown_attendees_are_reported_and_nothing_changes(lead_client, meetings, member):
    _, meeting = meetings
    response = lead_client.post(
        f"/meetings/{meeting.pk}/attendees/", {"usernames": "stakeholder nobody"}, follow=True
    )
    assert "No such user: nobody." in response.content.decode()
    assert meeting.attendees.count() == 0


def test_the_blocker_page_shows_its_review_with_the_vote_form_for_members(
    member_client, blocker, member
):
    services.vote_cast(blocker=blocker, user=member, value=1, comment="agreed")
    html = member_client.get(f"/blockers/{blocker.pk}/").content.decode()
    assert "Blocker review" in html
    assert "Not yet reviewed" in html
    assert 'action="/meetings/blockers/' in html
    assert "Your vote (+1): change it" in html
    assert "Say why it should block" in html  # the reporter is asked for a justification


def grow(n: int, meeting: Meeting, lead) -> None:
    """n more blockers under review with votes, attendees, decisions and action items."""
    milestone = Milestone.objects.get(key="production-base-images")
    for i in range(n):
        voter = UserFactory()
        meeting.attendees.add(voter)
        blocker = blocker_file(reporter=voter, title=f"Review me {i}", milestones=[milestone])
        blocker_update(blocker=blocker, user=lead, severity="critical")
        services.vote_cast(blocker=blocker, user=voter, value=1, comment="yes")
        services.vote_cast(blocker=blocker, user=lead, value=0)
        services.action_item_add(meeting=meeting, user=lead, owner=voter, text=f"do {i}")
        services.decision_record(meeting=meeting, user=lead, text=f"agreed {i}")
    resolved = blocker_file(reporter=lead, title=f"Resolved {n}")
    blocker_update(blocker=resolved, user=lead, status=BlockerStatus.RESOLVED)


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def test_meeting_pages_cost_a_constant_number_of_queries(lead_client, initiative, lead):
    # Tomorrow: the agenda covers the week up to now, where grow() records its history.
    meeting = Meeting.objects.create(starts_at=timezone.now() + timedelta(days=1), chair=lead)
    urls = [
        f"/meetings/{meeting.pk}/",
        f"/meetings/{meeting.pk}/present/",
        f"/meetings/{meeting.pk}/minutes/text/",
        "/meetings/",
        "/feeds/blockers.atom",
        "/feeds/calendar.ics",
        "/changes/",
        "/milestones/production-base-images/",
    ]
    grow(2, meeting, lead)
    small = {url: count_queries(lead_client, url) for url in urls}
    grow(8, meeting, lead)
    large = {url: count_queries(lead_client, url) for url in urls}
    assert large == small
    page = lead_client.get(urls[0]).content.decode()
    assert page.count("Review me 7") >= 1
    assert "Resolved 8" in page  # the agenda really covered the grown history


def test_the_tally_says_nobody_is_present_when_votes_come_from_no_attendee(
    client, meetings, blocker, member
):
    _, meeting = meetings
    services.vote_cast(blocker=blocker, user=member, value=1)
    for url in (f"/meetings/{meeting.pk}/", f"/meetings/{meeting.pk}/present/"):
        page = client.get(url).content.decode()
        assert "Nobody is recorded as present yet." in page
        assert "Every attendee has voted." not in page

    meeting.attendees.set([member])
    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert "Every attendee has voted." in page


def test_decided_blockers_show_no_vote_form_and_refuse_votes(
    member_client, meetings, blocker, member, lead
):
    _, meeting = meetings
    pages = (f"/meetings/{meeting.pk}/", f"/meetings/{meeting.pk}/present/")
    services.review_decide(
        blocker=blocker, meeting=meeting, user=lead, state="needs_info", reason="which arches?"
    )
    for url in pages:
        assert 'class="vote-form"' in member_client.get(url).content.decode()

    services.review_decide(
        blocker=blocker,
        meeting=meeting,
        user=lead,
        state="accepted",
        reason="F45 beta",
        no_vote_reason="everyone agreed aloud",
    )
    for url in pages:
        page = member_client.get(url).content.decode()
        assert "Composefs breaks on s390x" in page
        assert 'class="vote-form"' not in page
    response = member_client.post(
        f"/meetings/blockers/{blocker.pk}/vote/", {"value": "-1"}, follow=True
    )
    assert response.redirect_chain == [(f"/blockers/{blocker.pk}/", 302)]
    assert f"The meeting decided on #{blocker.pk}; voting on it is closed." in (
        response.content.decode()
    )
    assert not Vote.objects.exists()


@pytest.mark.parametrize("starts_at", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_a_meeting_in_a_far_off_year_is_refused_and_the_pages_stay_up(
    lead_client, meetings, starts_at
):
    response = lead_client.post("/meetings/", {"starts_at": starts_at, "duration_minutes": "60"})
    assert response.status_code == 400
    assert "Schedule the meeting between the years 2000 and 2100." in response.content.decode()
    assert Meeting.objects.count() == 2
    assert lead_client.get("/meetings/").status_code == 200
    assert lead_client.get("/feeds/calendar.ics").status_code == 200


def test_decisions_reasons_and_action_items_must_fit_on_one_line(
    lead_client, meetings, blocker, member
):
    _, meeting = meetings
    base = f"/meetings/{meeting.pk}"
    posts = [
        (f"{base}/decisions/", {"text": "Meet again\n# next week"}, "Agreed"),
        (f"{base}/reviews/{blocker.pk}/", {"state": "accepted", "reason": "a\rb"}, "Reason"),
        (f"{base}/actions/", {"owner": "stakeholder", "text": "file\r\n- it"}, "Action"),
    ]
    for url, data, label in posts:
        page = lead_client.post(url, data, follow=True).content.decode()
        assert f"{label}: Keep it on one line, without line breaks." in page
    assert not Decision.objects.exists()
    assert not ActionItem.objects.exists()
    assert not hasattr(Blocker.objects.get(pk=blocker.pk), "review")


def test_a_long_review_shows_the_first_reviews_in_full_and_the_rest_one_line_each(
    lead_client, initiative, meetings, member
):
    """A year's backlog keeps the page light: 20 reviews with their forms, the rest linked."""
    _, meeting = meetings
    blockers = [blocker_file(reporter=member, title=f"Backlog {i:02}") for i in range(23)]
    for url in (f"/meetings/{meeting.pk}/", f"/meetings/{meeting.pk}/present/"):
        page = lead_client.get(url).content.decode()
        assert page.count('class="vote-form"') == 20, url
        assert page.count('class="decide-form inline"') >= 20, url
        assert "The other 3, one line each" in page
        brief = page.split("The other 3, one line each")[1]
        for blocker in blockers[20:]:
            assert f'<a href="/blockers/{blocker.pk}/">#{blocker.pk} ' in brief
            assert blocker.title in brief
        assert blockers[0].title not in brief
        assert "Reviews 1\u201320 of 23 in full" in page
        assert "?reviews=2" in page

        rest = lead_client.get(f"{url}?reviews=2").content.decode()
        assert rest.count('class="vote-form"') == 3
        assert "The other 20, one line each" in rest
        assert f'name="next" value="{url}?reviews=2"' in rest  # a vote comes back here
        assert "Reviews 21\u201323 of 23 in full" in rest


def test_a_short_review_is_shown_whole(lead_client, initiative, meetings, member):
    _, meeting = meetings
    for i in range(3):
        blocker_file(reporter=member, title=f"Backlog {i}")
    page = lead_client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert page.count('class="vote-form"') == 3
    assert "one line each" not in page


def test_a_busy_week_lists_the_latest_of_its_meeting_log_and_links_to_the_rest(
    lead_client, initiative, clock, meetings, member, lead, monkeypatch
):
    """The agenda's votes, reviews and decisions stay a short list; the minutes keep them all."""
    previous, meeting = meetings
    monkeypatch.setattr("fedimage.meetings.views.AGENDA_LOG_SHOWN", 3)
    clock.set(previous.starts_at + timedelta(hours=1))
    for i in range(5):
        services.decision_record(meeting=previous, user=lead, text=f"Agreed thing {i}")
    clock.set(meeting.starts_at - timedelta(hours=1))
    for url in (f"/meetings/{meeting.pk}/", f"/meetings/{meeting.pk}/present/"):
        page = lead_client.get(url).content.decode()
        assert "Agreed thing 4" in page, url
        assert "Agreed thing 2" in page, url
        assert "Agreed thing 1" not in page, url
        assert "The latest 3 are listed" in page
        assert f'href="/changes/?since={previous.starts_at:%Y-%m-%d}"' in page
    minutes = lead_client.get(f"/meetings/{meeting.pk}/minutes/text/").content.decode()
    assert "Agreed thing 0" in minutes
