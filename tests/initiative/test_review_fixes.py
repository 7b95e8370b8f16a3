"""Behaviour pinned after review: odd input gets clear answers, defaults hold across pages."""

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from fedimage.core.initiative_file import InitiativeFileError, load_initiative_file
from fedimage.initiative.models import Blocker, Initiative, Migration, Milestone, Stage
from fedimage.initiative.services import blocker_file, blocker_update
from tests.conftest import INITIATIVE_FILE
from tests.initiative.test_loader import MINIMAL, write

pytestmark = pytest.mark.django_db


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


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [
        (
            lambda t: t.replace('title = "A clean development pipeline"', 'title = "A\\u0000B"'),
            "line 12: milestones[1].title: contains a NUL character",
        ),
        (
            lambda t: t.replace(
                'name = "Fedora CoreOS"', 'name = "Fedora CoreOS"\nhomepage = "http://a"'
            ),
            "subprojects[1].homepage: 'http://a' is not an http(s) URL",
        ),
        (
            lambda t: t.replace(
                'name = "Fedora CoreOS"',
                'name = "Fedora CoreOS"\nowners = ["' + "x" * 150 + '", "' + "y" * 150 + '"]',
            ),
            "subprojects[1].owners: longer than 300 characters in all",
        ),
    ],
)
def test_loader_rejects_what_only_the_database_would_catch(tmp_path, mutation, expected):
    with pytest.raises(InitiativeFileError) as excinfo:
        load_initiative_file(write(tmp_path, mutation(MINIMAL)))
    assert expected in str(excinfo.value)
    assert Milestone.objects.count() == 0


def test_loader_reports_a_directory_instead_of_a_file(tmp_path):
    with pytest.raises(InitiativeFileError, match="cannot be read"):
        load_initiative_file(tmp_path)


def test_initiative_stays_one_row_and_the_admin_cannot_add_another(admin_client, initiative):
    load_initiative_file(INITIATIVE_FILE)
    assert Initiative.objects.count() == 1
    response = admin_client.get("/admin/initiative/initiative/add/")
    assert response.status_code == 403


def test_the_admin_shows_migrations_and_blockers_but_changes_go_through_the_services(
    admin_client, admin_user, member, initiative
):
    """One write path: the admin cannot change what the services own, even for a superuser."""
    migration = Migration.objects.get(subproject__key="iot")
    blocker = blocker_file(reporter=member, title="Seen in the admin")
    for model, pk in (("migration", migration.pk), ("blocker", blocker.pk), ("milestone", 1)):
        page = admin_client.get(f"/admin/initiative/{model}/{pk}/change/")
        assert page.status_code in (200, 302), model  # 302: no milestone 1, back to the list
    response = admin_client.post(
        f"/admin/initiative/migration/{migration.pk}/change/",
        {
            "subproject": migration.subproject_id,
            "stage": Stage.BETA,
            "beta_target": migration.beta_target_id,
            "production_target": migration.production_target_id,
            "note": "",
            "evidence_url": "",
        },
    )
    assert response.status_code == 403
    assert admin_client.post(f"/admin/initiative/blocker/{blocker.pk}/delete/").status_code == 403
    migration.refresh_from_db()
    assert migration.stage != Stage.BETA
    assert Blocker.objects.filter(pk=blocker.pk).exists()
    # The dashboard records the same change, with who and when.
    response = admin_client.post("/subprojects/iot/", {"stage": Stage.BETA, "note": ""})
    assert response.status_code == 302
    migration.refresh_from_db()
    assert migration.stage == Stage.BETA
    assert migration.confirmed_at is not None
    assert migration.history.latest().history_user == admin_user


def test_closing_a_blocker_by_a_plain_save_sets_its_closed_time(member, initiative):
    """Whatever saves a blocker (a service, the demo data), the model keeps closed_at right."""
    blocker = blocker_file(reporter=member, title="Closed from the admin")
    blocker.status = "resolved"
    blocker.save()
    assert Blocker.objects.get(pk=blocker.pk).closed_at is not None
    blocker.status = "open"
    blocker.save(update_fields=["status"])
    assert Blocker.objects.get(pk=blocker.pk).closed_at is None


def test_seed_demo_sets_the_password_even_for_existing_demo_users(initiative):
    call_command("seed_demo")
    call_command("seed_demo", "--password", "demo")
    assert authenticate(username="demo-lead", password="demo") is not None


def test_lead_group_views_milestones_in_the_admin_and_changes_them_in_the_dashboard(
    lead, client, initiative
):
    lead.is_staff = True
    lead.save()
    lead = type(lead).objects.get(pk=lead.pk)  # fresh permission cache
    assert lead.has_perm("initiative.view_milestone")
    assert not lead.has_perm("initiative.change_milestone")
    assert not lead.has_perm("initiative.change_migration")
    assert not lead.has_perm("initiative.delete_blocker")
    client.force_login(lead)
    response = client.post(
        "/milestones/clean-dev-pipeline/", {"status": "at_risk", "note": "Konflux race"}
    )
    assert response.status_code == 302
    assert Milestone.objects.get(key="clean-dev-pipeline").status == "at_risk"


def test_control_characters_and_line_breaks_in_titles_are_refused(member_client, initiative):
    response = member_client.post(
        "/blockers/new/", {"title": "Bad\x0btitle here", "severity": "major", "category": "other"}
    )
    assert response.status_code == 400
    assert "Remove the control characters from this text." in response.content.decode()
    api = member_client.post(
        "/api/blockers/", {"title": "Two\nlines of title"}, content_type="application/json"
    )
    assert api.status_code == 400
    assert Blocker.objects.count() == 0
