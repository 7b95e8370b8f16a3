"""The initiative admin: configuration rows, and read-only views of what the services own."""

import pytest

from fedimage.core.initiative_file import load_initiative_file
from fedimage.initiative.models import Blocker, Initiative, Migration, Milestone, Stage
from fedimage.initiative.services import blocker_file
from tests.conftest import INITIATIVE_FILE

pytestmark = pytest.mark.django_db


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
