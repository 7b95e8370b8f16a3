"""Pages of the trackers app: sync status with "Sync now", upstream issues, the board."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fedimage.core import pagecache
from fedimage.initiative.services import blocker_file
from tests.trackers.factories import SyncRunFactory, issues_for, runs_for
from trackers.models import RunStatus, SyncRun, TrackedIssue
from trackers.sync.pipeline import source_lock


def queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url",
    [
        "/trackers/",
        "/trackers/sources/bootc/",
        "/trackers/issues/",
        "/trackers/issues/?source=fedora-bootc-tracker&label=bug&state=open",
        "/trackers/boards/fedora-bootc-tracker/",
        "/api/trackers/sources/",
        "/api/trackers/issues/",
        "/api/trackers/runs/",
    ],
)
@pytest.mark.parametrize("who", ["anonymous", "lead"])
def test_page_query_count_stays_constant_as_issues_and_runs_grow(
    sources, client, lead, url, who, settings
):
    settings.PAGE_CACHE_SECONDS = 0  # what building the page costs (bulk_create bumps nothing)
    if who == "lead":
        client.force_login(lead)
    for source in sources:
        issues_for(source, 3)
        runs_for(source, 2)
    few = queries(client, url)
    for source in sources:
        issues_for(source, 40, start=10)
        runs_for(source, 30)
        SyncRunFactory(source=source, status=RunStatus.RUNNING, finished_at=None)
    assert queries(client, url) == few


def test_the_status_page_says_where_each_listing_stands(sources, client):
    github = sources[1]
    issues_for(github, 3)
    runs_for(github, 1)
    now = timezone.now()
    github.last_error = "RateLimited: GitHub issues of bootc-dev/bootc: rate limited"
    github.last_error_at = github.failing_since = now - timedelta(minutes=5)
    github.paused_until = now + timedelta(minutes=12, seconds=30)
    github.listing = {"position": {"after": None}, "page": 12, "pages_total": 100}
    github.rate_limit_remaining = 4321
    github.issues_held = github.issues_open = 3
    github.save()

    page = client.get("/trackers/").content.decode()

    assert "fedora-bootc-tracker" in page
    assert "1 failing or paused" in page
    assert "not synced yet" in page
    assert "paused by a rate limit" in page
    assert "Listing failing since " in page
    assert "paused until" in page
    assert "(in 12 minutes)" in page
    assert "resuming at page 13 of 100" in page
    assert "rate limited" in page
    assert "4321" in page
    assert '3 <span class="muted">(3 open)</span>' in page
    assert "pull requests" in page
    assert "Sync now" not in page  # leads only


def test_issue_titles_are_escaped(sources, client):
    issues_for(sources[1], 1, title='<script>alert("x")</script>')
    page = client.get("/trackers/issues/").content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page


def test_the_issue_list_answers_htmx_with_its_table_and_a_history_restore_with_the_page(
    sources, client
):
    """The filter form swaps the table in and pushes the URL: a browser or cache must not give
    the table alone for a page load (Vary), nor htmx restoring that URL from history."""
    partial = client.get("/trackers/issues/", headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode()
    restore = client.get(
        "/trackers/issues/",
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in restore.content.decode()
    for response in (partial, restore, client.get("/trackers/issues/")):
        assert "HX-Request" in response["Vary"]


def test_confidential_issues_are_never_shown_to_anonymous_visitors(sources, client, member):
    gitlab, _ = sources
    issues_for(gitlab, 1, title="Embargoed CVE", confidential=True)
    issues_for(gitlab, 1, start=2, title="Public issue")
    urls = [
        "/trackers/issues/?source=fedora-bootc-tracker",
        "/trackers/boards/fedora-bootc-tracker/",
        "/api/trackers/issues/",
    ]
    for url in urls:
        body = client.get(url).content.decode()
        assert "Embargoed CVE" not in body, url
        assert "Public issue" in body, url
    client.force_login(member)
    for url in urls:
        assert "Embargoed CVE" in client.get(url).content.decode(), url


def test_the_upstream_list_filters_by_source_label_and_state(sources, client):
    gitlab, github = sources
    issues_for(github, 4)  # odd numbers labelled bug
    issues_for(gitlab, 2)
    TrackedIssue.objects.filter(source=github, number=3).update(state="closed")

    def titles(query):
        page = client.get(f"/trackers/issues/?{query}").context["page"]
        return sorted(i.reference for i in page)

    assert titles("") == [f"bootc-dev/bootc#{n}" for n in (1, 2, 3, 4)]  # upstream only
    assert titles("label=bug") == ["bootc-dev/bootc#1", "bootc-dev/bootc#3"]
    assert titles("label=bug&state=open") == ["bootc-dev/bootc#1"]
    assert titles("source=fedora-bootc-tracker") == [
        "fedora/bootc/tracker#1",
        "fedora/bootc/tracker#2",
    ]
    assert client.get("/trackers/issues/?state=bogus").context["filters_invalid"]


def test_the_board_shows_columns_in_board_order(sources, client):
    gitlab, _ = sources
    issues_for(gitlab, 3)
    TrackedIssue.objects.filter(number=3).update(state="closed", board_column="Closed")
    response = client.get("/trackers/boards/fedora-bootc-tracker/")
    columns = [(c.name, [i.number for i in c.issues]) for c in response.context["columns"]]
    assert columns == [("Open", [1]), ("To Do", []), ("Doing", [2]), ("Closed", [3])]


def test_the_source_ledger_paginates(sources, client):
    runs_for(sources[1], 60)

    first = client.get("/trackers/sources/bootc/").content.decode()
    second = client.get("/trackers/sources/bootc/?page=2").content.decode()

    assert "page 1 of 2" in first
    assert "page 2 of 2" in second


# Sync now


def test_leads_see_sync_now_on_the_status_page_and_on_a_source(sources, client, lead):
    client.force_login(lead)

    for url in ("/trackers/", "/trackers/sources/bootc/"):
        page = client.get(url).content.decode()
        assert "Sync now" in page, url
        assert 'hx-post="/trackers/sources/bootc/sync/"' in page, url


def test_sync_now_queues_a_run_that_the_page_follows_in_place(
    sources, client, lead, django_capture_on_commit_callbacks
):
    client.force_login(lead)

    with django_capture_on_commit_callbacks() as sent:
        response = client.post("/trackers/sources/bootc/sync/", headers={"HX-Request": "true"})

    assert response.status_code == 200
    html = response.content.decode()
    run = SyncRun.objects.get(source=sources[1])
    assert (run.status, run.trigger) == (RunStatus.QUEUED, "sync now by leader")
    assert "Sync queued." in html
    assert "Queued" in html
    assert "waiting for a worker" in html
    assert f'hx-get="/trackers/sources/bootc/runs/{run.pk}/"' in html
    assert 'hx-trigger="every 1s"' in html
    assert "disabled" in html  # the button waits for this run
    # The task is sent after the commit (through the outbox); the page cache's version bumps
    # are other callbacks.
    assert len([c for c in sent if not pagecache.is_version_bump(c)]) == 1


def test_the_run_follows_queued_running_done_then_stops_polling(sources, client):
    run = SyncRunFactory(
        source=sources[1], status=RunStatus.RUNNING, pages=3, pages_total=10, created=12,
        updated=4, finished_at=None,
    )  # fmt: skip
    url = f"/trackers/sources/bootc/runs/{run.pk}/"

    running = client.get(url).content.decode()
    run.status, run.pages, run.finished_at = RunStatus.OK, 10, timezone.now()
    run.duration = timedelta(seconds=3.2)
    run.save()
    done = client.get(url).content.decode()

    assert "page 3 of 10" in running
    assert "12 created, 4 updated" in running
    assert 'hx-trigger="every 1s"' in running
    assert "OK" in done
    assert "12 created, 4 updated, 0 removed in 3.2&nbsp;s" in done
    assert 'id="listing-bootc" hx-swap-oob="true"' in done  # the status follows
    assert "hx-trigger" not in done


def test_sync_now_while_a_run_is_under_way_says_so_and_queues_nothing(sources, client, lead):
    client.force_login(lead)
    live = SyncRunFactory(source=sources[1], status=RunStatus.RUNNING, finished_at=None)

    with source_lock(sources[1]) as lease:
        assert lease
        html = client.post(
            "/trackers/sources/bootc/sync/", headers={"HX-Request": "true"}
        ).content.decode()

    assert "already under way" in html
    assert f"/runs/{live.pk}/" in html
    assert SyncRun.objects.filter(source=sources[1]).count() == 1


def test_a_running_run_nobody_works_on_is_closed_and_a_new_one_queued(sources, client, lead):
    client.force_login(lead)
    stranded = SyncRunFactory(source=sources[1], status=RunStatus.RUNNING, finished_at=None)

    html = client.post("/trackers/sources/bootc/sync/", headers={"HX-Request": "true"})

    stranded.refresh_from_db()
    assert stranded.status == RunStatus.INTERRUPTED
    assert "Sync queued." in html.content.decode()


def test_sync_now_on_a_paused_source_says_when_it_resumes(sources, client, lead):
    client.force_login(lead)
    github = sources[1]
    github.paused_until = timezone.now() + timedelta(minutes=12, seconds=30)
    github.save()

    html = client.post(
        "/trackers/sources/bootc/sync/", headers={"HX-Request": "true"}
    ).content.decode()

    assert "bootc is paused by a rate limit until" in html
    assert "(in 12 minutes)" in html
    assert "resumes then, where it stopped" in html
    assert not SyncRun.objects.exists()


def test_sync_now_without_javascript_redirects_back_with_a_message(sources, client, lead):
    client.force_login(lead)

    response = client.post("/trackers/sources/bootc/sync/", follow=True)

    assert response.redirect_chain == [("/trackers/sources/bootc/", 302)]
    assert "Sync queued." in response.content.decode()


@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_only_leads_may_sync_now(sources, client, member, who):
    if who == "member":
        client.force_login(member)

    assert client.post("/trackers/sources/bootc/sync/").status_code == 403
    assert client.get("/trackers/sources/bootc/sync/").status_code == 405
    assert not SyncRun.objects.exists()


def test_the_blocker_page_flags_a_blocker_whose_upstream_issue_closed(
    sources, member_client, member
):
    issues_for(sources[1], 1, start=123, state="closed", title="Fix <b>install</b>")
    blocker = blocker_file(
        reporter=member,
        title="x",
        tracking_url="https://github.com/bootc-dev/bootc/issues/123",
    )
    html = member_client.get(f"/blockers/{blocker.pk}/").content.decode()
    assert "upstream closed" in html
    assert "fixed upstream — confirm?" in html
    assert "Fix &lt;b&gt;install&lt;/b&gt;" in html
