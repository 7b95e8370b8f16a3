"""Forms hold the API's limits, and the same blocker form sent twice files one blocker."""

import re
import threading
import uuid

import pytest
from django.db import connection
from django.test import Client

from fedimage.initiative.models import Blocker
from fedimage.meetings.models import Meeting

FORM = {"title": "Konflux release race", "severity": "major", "category": "other"}


def token_of(page) -> str:
    return re.search(r'name="submission" value="([0-9a-f-]{36})"', page.content.decode())[1]


@pytest.mark.django_db
def test_the_form_refuses_a_description_longer_than_the_api_allows(member_client):
    token = token_of(member_client.get("/blockers/new/"))

    response = member_client.post(
        "/blockers/new/", {**FORM, "description": "x" * 20_001, "submission": token}
    )

    assert response.status_code == 400
    assert "at most 20000 characters" in response.content.decode()
    assert not Blocker.objects.exists()


@pytest.mark.django_db
def test_the_same_form_sent_twice_files_one_blocker_and_shows_it(member_client):
    token = token_of(member_client.get("/blockers/new/"))

    first = member_client.post("/blockers/new/", {**FORM, "submission": token})
    again = member_client.post("/blockers/new/", {**FORM, "submission": token}, follow=True)

    blocker = Blocker.objects.get()
    assert first.status_code == 302
    assert first["Location"] == blocker.get_absolute_url()
    assert again.redirect_chain == [(blocker.get_absolute_url(), 302)]
    assert f"blocker #{blocker.pk} was filed once" in again.content.decode()


@pytest.mark.django_db
def test_each_showing_of_the_form_files_its_own_blocker(member_client):
    for _ in range(2):
        token = token_of(member_client.get("/blockers/new/"))
        member_client.post("/blockers/new/", {**FORM, "submission": token})

    assert Blocker.objects.count() == 2


@pytest.mark.django_db
def test_someone_elses_form_token_files_nothing_and_shows_nothing(
    member_client, other_member, client
):
    token = token_of(member_client.get("/blockers/new/"))
    member_client.post("/blockers/new/", {**FORM, "title": "Secret plans", "submission": token})
    client.force_login(other_member)

    response = client.post("/blockers/new/", {**FORM, "submission": token})

    assert response.status_code == 400
    assert "reload the page" in response.content.decode()
    assert Blocker.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_submissions_at_once_file_one_blocker(member):
    token = str(uuid.uuid4())
    start = threading.Barrier(2)
    answers = []

    def send():
        try:
            client = Client()
            client.force_login(member)
            start.wait()
            answers.append(client.post("/blockers/new/", {**FORM, "submission": token}))
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    blocker = Blocker.objects.get()
    assert [a.status_code for a in answers] == [302, 302]
    assert {a["Location"] for a in answers} == {blocker.get_absolute_url()}


@pytest.mark.django_db
def test_a_meeting_time_with_a_far_utc_offset_is_stored_in_utc(lead_client):
    response = lead_client.post(
        "/meetings/", {"starts_at": "2026-12-01T20:00:00+16:00", "duration_minutes": "60"}
    )

    assert response.status_code == 302
    assert Meeting.objects.get().starts_at.isoformat() == "2026-12-01T04:00:00+00:00"


@pytest.mark.django_db
def test_a_meeting_length_beyond_the_database_is_a_form_error(lead_client):
    response = lead_client.post(
        "/meetings/", {"starts_at": "2026-12-01T20:00", "duration_minutes": str(2**31)}
    )

    assert response.status_code == 400
    assert not Meeting.objects.exists()
