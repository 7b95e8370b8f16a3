"""Pages from the cache: a change shows on the next request, conditional GET answers 304."""

import base64
import uuid
from datetime import timedelta

import pytest
from django.contrib.sessions.backends.cached_db import SessionStore
from django.contrib.sessions.models import Session
from django.core.cache import cache, caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from django.utils import timezone

from fedimage.accounts import services as accounts
from fedimage.core import pagecache
from fedimage.health.models import PollRun
from fedimage.initiative.models import Blocker
from fedimage.initiative.services import blocker_file, blocker_update
from tests.dashboard.test_scale import PAGES
from tests.health.factories import WatchedImageFactory
from trackers.models import SyncRun, TrackerSource

pytestmark = pytest.mark.django_db


def get(client, url: str, **headers):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    return response, len(ctx.captured_queries)


@pytest.fixture
def blocker(initiative, member):
    return blocker_file(reporter=member, title="Composefs breaks on upgrade")


def test_a_page_asked_again_is_served_without_sql(client, blocker):
    first, queries = get(client, "/blockers/")
    assert first.status_code == 200
    assert queries > 0
    again, queries = get(client, "/blockers/")
    assert queries == 0
    assert again.content == first.content


def test_a_change_through_a_service_shows_on_the_next_request(client, blocker, lead):
    get(client, "/blockers/")
    blocker_update(blocker=blocker, user=lead, title="Composefs fixed title")
    response, queries = get(client, "/blockers/")
    assert queries > 0
    assert "Composefs fixed title" in response.content.decode()
    assert "Composefs breaks on upgrade" not in response.content.decode()


def test_each_page_is_cached_apart_and_for_its_query_string(client, blocker):
    get(client, "/blockers/")
    response, queries = get(client, "/blockers/?q=nothing-matches-this")
    assert queries > 0
    assert "Composefs breaks" not in response.content.decode()


def test_an_unchanged_page_answers_304_without_a_body(client, blocker):
    first = client.get("/blockers/")
    etag = first["ETag"]
    response, queries = get(client, "/blockers/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response.content == b""
    assert queries == 0


def test_a_changed_page_answers_200_to_the_old_etag(client, blocker, lead):
    etag = client.get("/blockers/")["ETag"]
    blocker_update(blocker=blocker, user=lead, severity="critical")
    response = client.get("/blockers/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag


@pytest.mark.parametrize("url", ["/api/blockers/", "/feeds/blockers.atom", "/feeds/calendar.ics"])
def test_api_lists_and_feeds_answer_conditional_gets(client, blocker, url):
    etag = client.get(url)["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_signed_in_and_anonymous_visitors_never_share_a_page(client, initiative, member):
    blocker_file(reporter=member, title="Embargoed kernel issue", private=True)
    client.force_login(member)
    assert "Embargoed kernel issue" in client.get("/blockers/").content.decode()
    anonymous = client.__class__()
    assert "Embargoed kernel issue" not in anonymous.get("/blockers/").content.decode()


def test_a_session_logged_out_gets_no_more_cached_pages(client, initiative, member):
    blocker_file(reporter=member, title="Embargoed kernel issue", private=True)
    client.force_login(member)
    cookie = client.cookies["sessionid"].value
    assert "Embargoed kernel issue" in client.get("/blockers/").content.decode()
    client.post("/accounts/logout/")
    # Someone replaying the old session cookie: the session is gone, so is the cached page.
    replay = client.__class__()
    replay.cookies["sessionid"] = cookie
    response, queries = get(replay, "/blockers/")
    assert queries > 0
    assert "Embargoed kernel issue" not in response.content.decode()


@pytest.mark.parametrize("end", ["deleted", "expired"])
def test_a_session_ended_on_the_server_gets_no_more_cached_pages(client, initiative, member, end):
    """Deleted (signed out in another tab, by an administrator) or past its age: the browser
    holding its cookie is anonymous from the next request, not once its pages age out."""
    blocker_file(reporter=member, title="Embargoed kernel issue", private=True)
    client.force_login(member)
    client.get("/blockers/")  # the browser gets its CSRF cookie
    assert "Embargoed kernel issue" in client.get("/blockers/").content.decode()
    session = SessionStore(session_key=client.cookies["sessionid"].value)
    if end == "deleted":
        session.delete()
    else:  # its cache entry lives as long as the session; the row stays until clearsessions
        past = timezone.now() - timedelta(seconds=1)
        Session.objects.filter(session_key=session.session_key).update(expire_date=past)
        cache.delete(session.cache_key)
    response, queries = get(client, "/blockers/")
    assert queries > 0
    assert "Embargoed kernel issue" not in response.content.decode()


@pytest.mark.parametrize("loss", ["lead role", "account"])
def test_a_role_taken_away_shows_on_the_next_request(client, initiative, lead, loss):
    """Roles from Fedora Accounts (synced at sign-in) and a deactivated account: the cached
    pages of that browser are not served again, lead controls and private blockers included."""
    blocker_file(reporter=lead, title="Embargoed kernel issue", private=True)
    client.force_login(lead)
    client.get("/milestones/clean-dev-pipeline/")  # the browser gets its CSRF cookie
    html = client.get("/milestones/clean-dev-pipeline/").content.decode()
    assert 'class="tag">lead' in html
    assert "Set or confirm the status" in html
    assert "Embargoed kernel issue" in client.get("/blockers/").content.decode()
    if loss == "lead role":
        accounts.fedora_account_sync(user=lead, nickname="leader", email="", groups=[])
    else:
        lead.is_active = False
        lead.save()
    html = client.get("/milestones/clean-dev-pipeline/").content.decode()
    assert 'class="tag">lead' not in html
    assert "Set or confirm the status" not in html
    blockers = client.get("/blockers/").content.decode()
    assert ("Embargoed kernel issue" in blockers) is (loss == "lead role")


def test_an_answer_marked_no_store_is_built_every_time(client, initiative):
    """The grid following a poll (`?batch=`) changes every second: Cache-Control no-store."""
    image = WatchedImageFactory(key="review-image", tags=["44"])
    run = PollRun.objects.create(image=image, batch=uuid.uuid4(), trigger="manual")
    url = f"/health/?batch={run.batch}"
    first = client.get(url)
    assert "no-store" in first["Cache-Control"]
    again, queries = get(client, url)
    assert queries > 0
    assert "no-store" in again["Cache-Control"]


def test_a_page_showing_a_flash_message_is_not_served_from_the_cache(lead_client, blocker):
    lead_client.get(f"/blockers/{blocker.pk}/")
    response = lead_client.post(
        f"/blockers/{blocker.pk}/status/", {"status": "in_progress"}, follow=True
    )
    assert "is now in progress" in response.content.decode()
    again = lead_client.get(f"/blockers/{blocker.pk}/")
    assert "is now in progress" not in again.content.decode()


def test_a_response_setting_a_cookie_is_not_stored(client, blocker, member):
    """A page whose forms set this browser's first CSRF cookie is that browser's alone."""
    client.force_login(member)
    session = client.cookies["sessionid"].value
    first = client.get(f"/blockers/{blocker.pk}/")
    assert "csrftoken" in first.cookies
    same_cookies = client.__class__()
    same_cookies.cookies["sessionid"] = session
    _, queries = get(same_cookies, f"/blockers/{blocker.pk}/")
    assert queries > 0


def test_a_page_that_only_renews_the_csrf_cookie_is_cached(client, blocker, member):
    client.force_login(member)
    client.get(f"/blockers/{blocker.pk}/")  # the browser gets its CSRF cookie
    renewed = client.get(f"/blockers/{blocker.pk}/")
    assert renewed.cookies["csrftoken"].value == client.cookies["csrftoken"].value
    again, queries = get(client, f"/blockers/{blocker.pk}/")
    assert queries == 0
    assert again.content == renewed.content
    assert not again.cookies  # stored without its Set-Cookie: a hit sets no cookie


def test_a_sync_that_changed_nothing_keeps_issue_pages_cached(client, blocker, initiative):
    source = TrackerSource.objects.first()
    get(client, "/blockers/")
    SyncRun.objects.create(source=source, status="not_modified", finished_at=timezone.now())
    _, queries = get(client, "/blockers/")
    assert queries == 0
    _, queries = get(client, "/trackers/")
    assert queries > 0
    SyncRun.objects.create(source=source, status="ok", updated=3, finished_at=timezone.now())
    _, queries = get(client, "/blockers/")
    assert queries > 0


def test_the_page_cache_can_be_turned_off(client, blocker, settings):
    settings.PAGE_CACHE_SECONDS = 0
    get(client, "/blockers/")
    _, queries = get(client, "/blockers/")
    assert queries > 0


def test_a_topic_bumped_inside_a_transaction_is_bumped_again_after_commit(
    blocker, django_capture_on_commit_callbacks
):
    before = pagecache.versions(["initiative"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        Blocker.objects.filter(pk=blocker.pk).first().save()
    during = pagecache.versions(["initiative"])
    assert during != before
    for callback in callbacks:
        callback()
    assert pagecache.versions(["initiative"]) != during


def test_a_request_with_credentials_is_built_every_time(client, blocker, member):
    """An API token or password is checked (and its use recorded) on every request."""
    credentials = "Basic " + base64.b64encode(b"stakeholder:pw-member-123").decode()
    client.get("/api/blockers/", HTTP_AUTHORIZATION=credentials)
    response, queries = get(client, "/api/blockers/", HTTP_AUTHORIZATION=credentials)
    assert response.status_code == 200
    assert queries > 0
    etag = response["ETag"]
    assert (
        client.get(
            "/api/blockers/", HTTP_AUTHORIZATION=credentials, HTTP_IF_NONE_MATCH=etag
        ).status_code
        == 304
    )


def test_every_main_page_and_api_list_is_served_from_the_cache():
    """The URL names the page cache knows follow the URL configuration (names get renamed)."""

    for url in [*PAGES, "/meetings/1/", "/blockers/1/", "/notifications/", "/api/"]:
        assert resolve(url).view_name in pagecache.cached_pages(), url


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "member"])
def test_a_cached_api_page_still_counts_against_the_throttle(
    client, initiative, member, settings, signed_in, throttle_clock
):
    settings.API_THROTTLE_ANON = settings.API_THROTTLE_USER = "3/minute"
    if signed_in:
        client.force_login(member)
    for _ in range(3):
        assert client.get("/api/milestones/").status_code == 200
    response = client.get("/api/milestones/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_a_hit_carries_the_headers_the_inner_middleware_added(client, blocker, member):
    """A hit is answered before sessions, CSP and frame options run: their headers were stored."""
    client.force_login(member)
    client.get("/blockers/")  # the browser gets its CSRF cookie
    built = client.get("/blockers/")
    hit, queries = get(client, "/blockers/")
    assert queries == 0
    for header in ("Content-Security-Policy", "X-Frame-Options", "Vary", "ETag", "Content-Type"):
        assert hit[header] == built[header], header


def test_a_hit_reads_the_cache_once(client, blocker, member, monkeypatch):
    """No session load, no time zone: one read of the copy, the versions and the marker."""
    client.force_login(member)
    client.get("/blockers/")
    client.get("/blockers/")
    reads = []
    backend = type(caches["default"])
    for name in ("get", "get_many"):
        original = getattr(backend, name)
        monkeypatch.setattr(
            backend, name, lambda *a, _o=original, _n=name, **k: reads.append(_n) or _o(*a, **k)
        )
    assert client.get("/blockers/").status_code == 200
    assert reads == ["get_many"]
