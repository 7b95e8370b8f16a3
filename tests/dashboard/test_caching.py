"""Which saves renew which cached pages: bookkeeping written every few minutes renews only the
pages showing it (fedimage.dashboard.caching)."""

from uuid import uuid4

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fedimage.health.models import HealthState, PollTrigger, Sample, TagState, WatchedImage
from fedimage.health.services import polls_request
from fedimage.health.services.runs import run_progress, run_start
from fedimage.initiative.models import Subproject
from fedimage.initiative.services import blocker_file
from fedimage.meetings.services import meeting_schedule
from trackers.models import SyncRun, TrackerSource

pytestmark = pytest.mark.django_db

# Pages that show neither poll runs, samples, sync runs nor a source's sync state.
UNRELATED = [
    "/",
    "/milestones/production-base-images/",
    "/subprojects/coreos/",
    "/releases/f45/",
    "/blockers/",
    "/health/",
    "/trackers/issues/",
    "/trackers/boards/fedora-bootc-tracker/",
    "/meetings/charts/",
    "/meetings/reports/upstream/bootc/",
    "/api/blockers/",
    "/api/health/tags/",
]


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.fixture
def pages(initiative, member, lead):
    blocker_file(reporter=member, title="Composefs breaks on upgrade")
    meeting = meeting_schedule(user=lead, starts_at=timezone.now())
    return [*UNRELATED, f"/meetings/{meeting.pk}/", f"/meetings/{meeting.pk}/present/"]


def built(client, urls: list[str]) -> list[str]:
    """The pages among `urls` that were built rather than served from the cache."""
    return [url for url in urls if queries(client, url) > 0]


def test_polls_samples_and_syncs_that_change_nothing_keep_other_pages_cached(client, pages):
    for url in pages:
        queries(client, url)
    image = WatchedImage.objects.get(key="fedora-bootc")
    asked = polls_request(images=[image], trigger=PollTrigger.SCHEDULE)
    run = asked.started[0]
    run_start(run=run, tags_total=2)
    run_progress(run=run, tags_checked=1, tags_changed=0)
    tag = TagState.objects.filter(image=image).first()
    Sample.objects.create(tag=tag, at=timezone.now(), state=HealthState.HEALTHY)
    source = TrackerSource.objects.get(name="fedora-bootc-tracker")
    run = SyncRun.objects.create(source=source, status="running")
    run.status, run.finished_at = "not_modified", timezone.now()
    run.save(update_fields=["status", "finished_at"])
    source.last_run, source.last_run_at, source.etag = run, timezone.now(), '"v2"'
    source.save(update_fields=["last_run", "last_run_at", "etag"])
    assert built(client, pages) == []


def test_the_pages_showing_runs_show_a_new_one_at_once(client, pages):
    image_page = "/health/images/fedora-bootc/"
    ledger = ["/trackers/", "/trackers/sources/fedora-bootc-tracker/", "/api/trackers/runs/"]
    for url in [image_page, *ledger]:
        queries(client, url)
    image = WatchedImage.objects.get(key="fedora-bootc")
    run = polls_request(images=[image], trigger=PollTrigger.SCHEDULE).started[0]
    run_start(run=run, tags_total=2)
    assert "0 of 2 tags checked" in client.get(image_page).content.decode()
    source = TrackerSource.objects.get(name="fedora-bootc-tracker")
    SyncRun.objects.create(source=source, status="not_modified", finished_at=timezone.now())
    assert built(client, ledger) == ledger


def test_the_grid_following_a_poll_is_never_stored(client, initiative):
    image = WatchedImage.objects.get(key="fedora-bootc")
    batch = polls_request(images=[image], trigger=PollTrigger.SCHEDULE).batch
    url = f"/health/?batch={batch}"
    response = client.get(url)
    assert "no-store" in response["Cache-Control"]
    assert queries(client, url) > 0
    unknown = f"/health/?batch={uuid4()}"  # no such batch: the plain grid, stored
    assert queries(client, unknown) > 0
    assert queries(client, unknown) == 0


def test_a_source_renamed_or_moved_by_the_initiative_file_renews_issue_pages(client, pages):
    queries(client, "/trackers/issues/")
    source = TrackerSource.objects.get(name="fedora-bootc-tracker")
    source.subproject = Subproject.objects.get(key="coreos")
    source.save(update_fields=["subproject"])
    assert queries(client, "/trackers/issues/") > 0
    queries(client, "/trackers/boards/fedora-bootc-tracker/")
    source.board_columns, source.board_name = ["To do", "Doing"], "Development"
    source.save(update_fields=["board_columns", "board_name"])
    text = client.get("/trackers/boards/fedora-bootc-tracker/").content.decode()
    assert "Doing" in text


def test_a_sync_that_changed_issues_renews_issue_pages(client, pages):
    queries(client, "/trackers/issues/")
    source = TrackerSource.objects.get(name="fedora-bootc-tracker")
    SyncRun.objects.create(source=source, status="ok", updated=2, finished_at=timezone.now())
    assert queries(client, "/trackers/issues/") > 0


def test_a_failed_listing_backing_off_keeps_issue_pages(client, pages):
    queries(client, "/trackers/issues/")
    source = TrackerSource.objects.get(name="fedora-bootc-tracker")
    source.failing_since = source.last_error_at = timezone.now()
    source.backoff_until = source.failing_since + timezone.timedelta(minutes=5)
    source.save(update_fields=["last_error_at", "failing_since", "backoff_until"])
    assert queries(client, "/trackers/issues/") == 0


def test_ci_results_are_cached_until_a_run_is_read(client, initiative):
    from fedimage.ci.models import CiRun
    from trackers.models import TrackedIssue

    queries(client, "/ci/")
    assert queries(client, "/ci/") == 0
    now = timezone.now()
    source = TrackerSource.objects.first()
    issue = TrackedIssue.objects.create(
        source=source,
        project=source.project,
        number=1,
        title="Test run of fedora-bootc:rawhide",
        state="open",
        web_url="https://gitlab.com/x/-/issues/1",
        created_at=now,
        updated_at=now,
    )
    CiRun.objects.create(
        issue=issue,
        issue_updated_at=now,
        title=issue.title,
        web_url=issue.web_url,
        run_at=now,
        problem="no digest",
    )
    assert "Test run of fedora-bootc:rawhide" in client.get("/ci/").content.decode()
