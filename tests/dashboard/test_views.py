import pytest
from django.urls import reverse

from fedimage.initiative.models import Blocker, Migration, Milestone, MilestoneStatus, Stage
from fedimage.initiative.services import blocker_file, blocker_update

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/releases/f44/",
        "/releases/post-f45/",
        "/milestones/clean-dev-pipeline/",
        "/subprojects/coreos/",
        "/subprojects/base-images/",
        "/blockers/",
        "/changes/",
        "/accounts/login/",
        "/api/docs/",
    ],
)
def test_main_pages_answer_for_anonymous_visitors(client, initiative, url):
    assert client.get(url).status_code == 200


def test_overview_answers_first_with_the_next_milestone(client, initiative, freezer_today):
    html = client.get("/").content.decode()
    assert "Next milestone" in html
    assert "A clean development pipeline" in html  # due 2026-03-10, first after 2026-01-15
    assert "in 54 days" in html


@pytest.fixture
def freezer_today(monkeypatch):
    """Pin 'today' for the pages (2026-01-15) without touching the clock the database uses."""
    import datetime

    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 1, 15))


def test_unknown_objects_are_404(client, initiative):
    for url in ("/releases/f99/", "/milestones/nope/", "/subprojects/nope/", "/blockers/999/"):
        assert client.get(url).status_code == 404


def test_filing_a_blocker_needs_a_signed_in_user(client, initiative):
    response = client.get(reverse("dashboard:blocker-create"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    response = client.post(reverse("dashboard:blocker-create"), {"title": "Anonymous attempt"})
    assert response.status_code == 302
    assert Blocker.objects.count() == 0


def test_member_files_a_blocker_and_sees_it_on_the_milestone_page(member_client, initiative):
    milestone = Milestone.objects.get(key="production-base-images")
    response = member_client.post(
        reverse("dashboard:blocker-create"),
        {
            "title": "Base images are not signed",
            "severity": "critical",
            "category": "infrastructure",
            "description": "Pick a **signing** scheme.",
            "milestones": [milestone.pk],
            "tracking_url": "https://gitlab.com/fedora/bootc/tracker/-/issues/12",
        },
    )
    blocker = Blocker.objects.get()
    assert response.status_code == 302
    assert response["Location"] == blocker.get_absolute_url()
    page = member_client.get(milestone.get_absolute_url()).content.decode()
    assert "Base images are not signed" in page
    assert "<bdi>stakeholder</bdi></strong> filed" in page
    detail = member_client.get(blocker.get_absolute_url()).content.decode()
    assert "<strong>signing</strong>" in detail


def test_invalid_blocker_form_shows_field_errors_and_saves_nothing(member_client, initiative):
    response = member_client.post(
        reverse("dashboard:blocker-create"),
        {
            "title": "x",
            "severity": "apocalyptic",
            "category": "konflux",
            "tracking_url": "not a url",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Say what is blocked in at least 5 characters." in html
    assert "Select a valid choice. apocalyptic is not one of the available choices." in html
    assert "Enter a valid URL." in html
    assert Blocker.objects.count() == 0


def test_untrusted_text_is_escaped_and_markdown_sanitised(client, member, initiative):
    blocker = blocker_file(
        reporter=member,
        title=f"Title {XSS}",
        description=f"Hello {XSS}\n\n[click](javascript:alert(1)) and [ok](https://example.org)",
        milestones=[Milestone.objects.get(key="clean-dev-pipeline")],
    )
    for url in (blocker.get_absolute_url(), "/blockers/", "/milestones/clean-dev-pipeline/", "/"):
        html = client.get(url).content.decode()
        assert "<script>alert" not in html
        assert "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")
        assert "javascript:alert" not in html
    detail = client.get(blocker.get_absolute_url()).content.decode()
    assert "&lt;script&gt;" in detail
    assert 'href="https://example.org" rel="nofollow noopener noreferrer"' in detail


def test_private_blockers_are_404_for_anonymous_visitors(client, member, initiative):
    blocker = blocker_file(reporter=member, title="Embargoed CVE details", private=True)
    assert client.get(blocker.get_absolute_url()).status_code == 404
    assert "Embargoed" not in client.get("/blockers/?status=").content.decode()
    client.force_login(member)
    assert client.get(blocker.get_absolute_url()).status_code == 200


def test_milestone_status_form_is_for_leads_only(member_client, initiative):
    url = reverse("dashboard:milestone-detail", kwargs={"key": "clean-dev-pipeline"})
    assert "Set or confirm the status" not in member_client.get(url).content.decode()
    response = member_client.post(url, {"status": "done"})
    assert response.status_code == 403
    assert Milestone.objects.get(key="clean-dev-pipeline").status == MilestoneStatus.NOT_STARTED


def test_lead_sets_a_milestone_status_and_it_appears_in_history(lead_client, initiative):
    url = reverse("dashboard:milestone-detail", kwargs={"key": "clean-dev-pipeline"})
    response = lead_client.post(url, {"status": "at_risk", "note": "Konflux race"})
    assert response.status_code == 302
    html = lead_client.get(url).content.decode()
    assert "Konflux race" in html
    assert "<del><bdi>Not started</bdi></del>" in html
    assert "<ins><bdi>At risk</bdi></ins>" in html


def test_lead_status_form_rejects_unknown_status(lead_client, initiative):
    url = reverse("dashboard:milestone-detail", kwargs={"key": "clean-dev-pipeline"})
    response = lead_client.post(url, {"status": "fine"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_lead_records_a_migration_stage(lead_client, initiative):
    url = reverse("dashboard:subproject-detail", kwargs={"key": "iot"})
    assert lead_client.post(url, {"stage": Stage.BETA, "note": "nightly"}).status_code == 302
    assert Migration.objects.get(subproject__key="iot").stage == Stage.BETA


def test_member_cannot_record_a_migration_stage(member_client, initiative):
    url = reverse("dashboard:subproject-detail", kwargs={"key": "iot"})
    assert member_client.post(url, {"stage": Stage.PRODUCTION}).status_code == 403
    assert Migration.objects.get(subproject__key="iot").stage == Stage.DEVELOPMENT


def test_reporter_edits_and_closes_their_blocker(member_client, member, initiative):
    blocker = blocker_file(reporter=member, title="Something is broken")
    response = member_client.post(
        reverse("dashboard:blocker-edit", args=[blocker.pk]),
        {"title": "Something is badly broken", "severity": "minor", "category": "bootc"},
    )
    assert response.status_code == 302
    member_client.post(
        reverse("dashboard:blocker-set-status", args=[blocker.pk]), {"status": "resolved"}
    )
    blocker.refresh_from_db()
    assert (blocker.title, blocker.severity, blocker.status) == (
        "Something is badly broken",
        "minor",
        "resolved",
    )
    assert blocker.history.count() == 3


def test_others_cannot_edit_a_blocker(client, member, other_member, initiative):
    blocker = blocker_file(reporter=member, title="Something is broken")
    client.force_login(other_member)
    assert client.get(reverse("dashboard:blocker-edit", args=[blocker.pk])).status_code == 403
    assert (
        client.post(
            reverse("dashboard:blocker-set-status", args=[blocker.pk]), {"status": "wont_fix"}
        ).status_code
        == 403
    )
    assert Blocker.objects.get().status == "open"


def test_bad_status_value_changes_nothing(member_client, member, initiative):
    blocker = blocker_file(reporter=member, title="Something is broken")
    response = member_client.post(
        reverse("dashboard:blocker-set-status", args=[blocker.pk]), {"status": "gone"}, follow=True
    )
    assert "Pick one of the listed statuses." in response.content.decode()
    assert Blocker.objects.get().status == "open"


def test_blocker_list_filters_search_and_reports_bad_filters(client, member, initiative):
    blocker_file(
        reporter=member, title="Konflux release race", category="konflux", severity="critical"
    )
    blocker_file(reporter=member, title="Docs gap for bootc switch", category="documentation")
    html = client.get("/blockers/?q=konflux&status=").content.decode()
    assert "Konflux release race" in html
    assert "Docs gap" not in html
    assert "1 blocker match" in html
    html = client.get("/blockers/?severity=critical&status=unresolved").content.decode()
    assert "Konflux release race" in html
    bad = client.get("/blockers/?severity=apocalyptic")
    assert bad.status_code == 400
    assert "Select a valid choice" in bad.content.decode()


def test_blocker_list_answers_htmx_with_just_the_table(client, member, initiative):
    blocker_file(reporter=member, title="Konflux release race")
    response = client.get("/blockers/?status=", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "Konflux release race" in html
    assert "<html" not in html


def test_changes_page_rejects_a_bad_date_with_a_clear_message(client, initiative):
    response = client.get("/changes/?since=last-tuesday")
    assert response.status_code == 400
    assert "is not a date like 2026-11-18" in response.content.decode()


def test_health_endpoints(client, initiative):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {
        "database": "ok",
        "broker": "ok",
        "static": "ok",
        "cache": "ok",
    }
    assert ready.json()["down"] == []


def test_pages_send_a_content_security_policy(client, initiative):
    policy = client.get("/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_filing_form_takes_a_justification_for_the_weekly_review(member_client, initiative):
    from fedimage.meetings.models import BlockerReview

    response = member_client.post(
        reverse("dashboard:blocker-create"),
        {
            "title": "Konflux release race",
            "severity": "critical",
            "category": "konflux",
            "justification": "Nothing ships to rawhide until this is fixed.",
        },
    )
    assert response.status_code == 302
    review = BlockerReview.objects.get(blocker=Blocker.objects.get())
    assert review.justification == "Nothing ships to rawhide until this is fixed."
    page = member_client.get(response["Location"]).content.decode()
    assert "Nothing ships to rawhide until this is fixed." in page


def test_a_justification_is_markdown_shown_as_the_description_is(member_client, initiative):
    response = member_client.post(
        reverse("dashboard:blocker-create"),
        {
            "title": "Konflux release race",
            "severity": "critical",
            "category": "konflux",
            "justification": "Blocks **every** F45 upgrade <script>alert(1)</script>",
        },
    )
    page = member_client.get(response["Location"]).content.decode()
    assert "Blocks <strong>every</strong> F45 upgrade" in page
    assert page.count("**every**") == 1  # only in the form that edits it
    assert "<script>alert(1)</script>" not in page


def test_second_page_of_the_blocker_list_keeps_the_unresolved_default(client, member, initiative):
    for i in range(30):
        blocker_file(reporter=member, title=f"Open blocker {i:02}")
    for i in range(5):
        closed = blocker_file(reporter=member, title=f"Closed blocker {i}")
        blocker_update(blocker=closed, user=member, status="resolved")
    first = client.get("/blockers/").content.decode()
    second = client.get("/blockers/?page=2").content.decode()
    assert "30 blockers match" in first
    assert "30 blockers match" in second
    assert "Closed blocker" not in second
    assert "35 blockers match" in client.get("/blockers/?status=&page=2").content.decode()


def test_htmx_history_restore_gets_the_whole_page(client, initiative):
    partial = client.get("/blockers/?q=x", headers={"HX-Request": "true"})
    restore = client.get(
        "/blockers/?q=x", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" not in partial.content.decode()
    assert "<html" in restore.content.decode()
    assert "HX-Request" in partial["Vary"]


def test_blocker_search_finds_a_title_as_shown_with_its_bidi_marker(member_client, member):
    """A title with U+202E shows it as ⟨U+202E⟩; searching for that text finds the blocker."""
    from fedimage.initiative.services import blocker_file

    blocker_file(reporter=member, title="invoice-\u202egpj.exe")
    response = member_client.get("/blockers/", {"q": "invoice-⟨U+202E⟩gpj"})
    assert "1 blocker match." in response.content.decode()
    assert "invoice-⟨U+202E⟩gpj.exe" in response.content.decode()
    assert "\u202e" not in response.content.decode()


def test_readyz_names_static_files_that_were_never_collected(client, settings, tmp_path):
    """With the production storage and an empty STATIC_ROOT /readyz says what to run."""
    # Django's setting_changed receivers rebuild the static files storage from these.
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
    }
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["down"] == ["static"]
    assert "run `python manage.py collectstatic --noinput`" in ready.json()["checks"]["static"]
