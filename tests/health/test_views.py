"""The health grid, the image page and "Poll now", through the HTTP client."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fedimage.core.models import OutboxMessage
from fedimage.health.models import BuildTimeSource, HealthState, PollRun, PollStatus, TagState
from tests.health.factories import WatchedImageFactory, observed
from tests.initiative.factories import SubprojectFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_grid_shows_each_tag_and_architecture_in_words_with_history_and_cadence(client) -> None:
    image = WatchedImageFactory(name="Fedora bootc", expected_arches=["amd64", "arm64"])
    observed(image, state=HealthState.DEGRADED)

    response = client.get("/health/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Fedora bootc" in page
    assert "Degraded" in page
    assert "no arm64 build (has amd64)" in page
    assert '<td class="cell reached" data-label="amd64">Built</td>' in page
    assert '<td class="cell overdue" data-label="arm64">Missing</td>' in page
    assert "about every 24 hours" in page
    assert "25 hours ago" in page
    assert page.count('title="') >= 24  # the history strip: one mark per recent check
    assert "style=" not in page


@pytest.mark.parametrize(
    "state", [HealthState.MISSING, HealthState.UNREACHABLE, HealthState.GARBAGE]
)
def test_architectures_of_a_tag_not_read_now_are_unknown_not_built(client, state) -> None:
    """A missing (or unreadable) tag keeps its last digest and arches; they say nothing now."""
    image = WatchedImageFactory(expected_arches=["amd64", "arm64"])
    observed(image, state=state)

    page = client.get("/health/").content.decode()

    assert '<td class="cell later" data-label="amd64">Unknown</td>' in page
    assert '<td class="cell later" data-label="arm64">Unknown</td>' in page
    assert ">Built<" not in page
    assert ">Missing</td>" not in page


def test_a_build_time_not_from_the_config_says_where_it_came_from(client) -> None:
    image = WatchedImageFactory()
    TagState.objects.filter(image=image).update(
        state=HealthState.HEALTHY, built_at=timezone.now(), built_source=BuildTimeSource.LABEL
    )

    page = client.get("/health/").content.decode()

    assert "from its org.opencontainers.image.created label" in page


def _add_images(n: int) -> None:
    for _ in range(n):
        image = WatchedImageFactory(tags=["44", "45"], subproject=SubprojectFactory())
        observed(image, "44")
        observed(image, "45", state=HealthState.STALE)


def test_grid_paginates_and_its_query_count_stays_constant_as_images_grow(client) -> None:
    _add_images(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/health/").status_code == 200
    _add_images(10)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/health/")
    second = client.get("/health/", {"page": 2}).content.decode()

    page = response.content.decode()
    assert page.count('<tr id="tag-') == 20  # ten images on a page
    assert second.count('<tr id="tag-') == 4
    assert "Images 11\u201312 of 12" in second
    assert "<strong>12 of 24</strong> watched tags healthy" in page  # counts cover every page
    assert len(many) == len(few) <= 7
    sql = " ".join(q["sql"] for q in many.captured_queries)
    assert "health_sample" not in sql
    assert "health_digestrecord" not in sql


def test_image_page_lists_newest_digests_and_pages_of_state_changes(client) -> None:
    image = WatchedImageFactory(key="fedora-bootc", name="Fedora bootc")
    state = observed(image, builds=25)

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/health/images/fedora-bootc/")

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("<code title=") == 20  # the newest digests
    assert "The newest 20 of 25" in page
    assert "seen in a test" in page
    assert all('"details"' not in q["sql"] for q in queries.captured_queries)
    assert client.get("/health/images/nope/").status_code == 404
    for n in range(60):
        state.changes.create(old_state="healthy", new_state="stale", reason=f"change {n}")
    older = client.get("/health/images/fedora-bootc/", {"changes": 2}).content.decode()
    assert "Page 2 of 2" in older


def test_image_page_query_count_stays_constant_as_history_grows(client) -> None:
    image = WatchedImageFactory(key="fedora-bootc", tags=["44", "45"])
    observed(image, "44", builds=2)
    with CaptureQueriesContext(connection) as few:
        client.get("/health/images/fedora-bootc/")
    observed(image, "45", builds=30)
    with CaptureQueriesContext(connection) as many:
        client.get("/health/images/fedora-bootc/")

    assert len(few) == len(many)


# Poll now


def test_poll_now_is_for_leads_only(member, lead) -> None:
    WatchedImageFactory(key="fedora-bootc")
    anonymous, member_client, lead_client = Client(), Client(), Client()
    member_client.force_login(member)
    lead_client.force_login(lead)

    assert "Poll now" not in member_client.get("/health/").content.decode()
    assert "Poll now" in lead_client.get("/health/").content.decode()
    assert member_client.post("/health/poll/").status_code == 403
    assert anonymous.post("/health/images/fedora-bootc/poll/").status_code == 403
    assert not PollRun.objects.exists()


def test_poll_now_queues_one_run_per_image_and_shows_its_progress_in_place(lead_client) -> None:
    images = [WatchedImageFactory(tags=["44", "45"]) for _ in range(3)]

    response = lead_client.post("/health/poll/", **HTMX)

    page = response.content.decode()
    runs = list(PollRun.objects.order_by("pk"))
    assert [run.image for run in runs] == images
    assert {run.status for run in runs} == {PollStatus.QUEUED}
    assert len({run.batch for run in runs}) == 1
    assert OutboxMessage.objects.filter(task="health.poll_image").count() == 3
    assert 'id="poll-progress"' in page
    assert f'hx-get="/health/polls/{runs[0].batch}/"' in page
    assert 'hx-trigger="every 1s"' in page
    assert "Queued <strong>3</strong>" in page
    assert "0 of 6 tags checked" in page


def test_poll_now_without_javascript_redirects_to_the_page_with_its_progress(lead_client) -> None:
    WatchedImageFactory(key="fedora-bootc")

    response = lead_client.post("/health/images/fedora-bootc/poll/")

    run = PollRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/health/images/fedora-bootc/?batch={run.batch}#poll-progress"
    page = lead_client.get(response["Location"]).content.decode()
    assert "Polling" in page
    assert "waiting for a worker" in page


def test_poll_now_on_an_image_already_being_polled_shows_that_poll(lead_client) -> None:
    image = WatchedImageFactory(key="fedora-bootc", tags=["44"])
    running = PollRun.objects.create(
        image=image, batch="00000000-0000-4000-8000-000000000001", trigger="schedule",
        status=PollStatus.RUNNING, tags_total=1, tags_checked=1,
        message="reading what changed in 1 tag",
    )  # fmt: skip

    page = lead_client.post("/health/images/fedora-bootc/poll/", **HTMX).content.decode()

    asked = PollRun.objects.exclude(pk=running.pk).get()
    assert asked.follows == running
    assert not OutboxMessage.objects.exists()
    assert "A poll of this image was already in progress" in page
    assert "Running <strong>1</strong>" in page
    assert "1 of 1 tag checked · reading what changed in 1 tag" in page


def test_progress_says_when_the_registry_is_busy_or_throttling(client) -> None:
    image = WatchedImageFactory(name="Fedora IoT")
    PollRun.objects.create(
        image=image, batch="00000000-0000-4000-8000-000000000002", trigger="manual",
        status=PollStatus.WAITING, retry_at=timezone.now() + timedelta(minutes=2),
        message="quay.io is throttling requests (HTTP 429); trying again in 2 minutes",
    )  # fmt: skip

    page = client.get("/health/polls/00000000-0000-4000-8000-000000000002/", **HTMX)

    text = page.content.decode()
    assert "Waiting for the registry <strong>1</strong>" in text
    assert "quay.io is throttling requests (HTTP 429); trying again in 2 minutes (at " in text
    assert 'hx-trigger="every 1s"' in text
    assert "HX-Trigger" not in page


def test_finished_progress_stops_asking_and_tells_the_page_to_reload_its_states(client) -> None:
    image = WatchedImageFactory()
    PollRun.objects.create(
        image=image, batch="00000000-0000-4000-8000-000000000003", trigger="manual",
        status=PollStatus.DONE, tags_total=1, tags_checked=1, tags_changed=1, new_digests=1,
        finished_at=timezone.now(), message="1 tag: 1 healthy",
    )  # fmt: skip

    page = client.get("/health/polls/00000000-0000-4000-8000-000000000003/", **HTMX)

    text = page.content.decode()
    assert page["HX-Trigger"] == "health-polled"
    assert "Poll done" in text
    assert "hx-trigger" not in text
    assert "1 of 1 tag checked · 1 changed · 1 new digest read." in text
    assert client.get("/health/polls/00000000-0000-4000-8000-00000000000f/").status_code == 404
