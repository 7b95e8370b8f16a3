"""Each role, through the pages and the API: anonymous visitors, members, subproject owners
(named in the initiative file), leads (from FAS groups, without staff status), superusers."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from fedimage.accounts.services import api_token_create
from fedimage.core.initiative_file import load_initiative_file
from fedimage.initiative.models import Blocker, Migration, Milestone, Stage, Subproject
from fedimage.initiative.services import blocker_file
from tests.accounts.test_pipeline import sign_in
from tests.conftest import INITIATIVE_FILE

pytestmark = pytest.mark.django_db


@pytest.fixture
def owned_initiative(db, tmp_path):
    """The real initiative file, with owners named for CoreOS (as a lead would fill them in)."""
    text = INITIATIVE_FILE.read_text()
    marker = 'key = "coreos"\n'
    assert marker in text
    path = tmp_path / "initiative.toml"
    path.write_text(text.replace(marker, marker + 'owners = ["alice", "Dusty"]\n', 1))
    load_initiative_file(path)
    assert Subproject.objects.get(key="coreos").owner_list == ["alice", "Dusty"]


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", password="pw-alice-123")


def bearer(user) -> dict[str, str]:
    _, key = api_token_create(user=user, name="script")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def patch(client, url, data, **headers):
    return client.patch(url, data, content_type="application/json", **headers)


def blockers_for(reporter):
    """One blocker on CoreOS, one on IoT, both filed by someone else."""
    coreos = blocker_file(
        reporter=reporter,
        title="CoreOS artifacts not on the base",
        subprojects=[Subproject.objects.get(key="coreos")],
    )
    iot = blocker_file(
        reporter=reporter,
        title="IoT artifacts not on the base",
        subprojects=[Subproject.objects.get(key="iot")],
    )
    return coreos, iot


def test_an_owner_records_their_own_subprojects_stage_on_the_page(client, owned_initiative, alice):
    client.force_login(alice)
    assert "Record the migration stage" in client.get("/subprojects/coreos/").content.decode()
    assert "Record the migration stage" not in client.get("/subprojects/iot/").content.decode()

    own = client.post("/subprojects/coreos/", {"stage": Stage.PRODUCTION, "note": "GA"})
    other = client.post("/subprojects/iot/", {"stage": Stage.PRODUCTION})

    assert own.status_code == 302
    assert Migration.objects.get(subproject__key="coreos").stage == Stage.PRODUCTION
    assert other.status_code == 403
    assert "owners or an initiative lead may change its migration stage" in other.content.decode()
    assert Migration.objects.get(subproject__key="iot").stage != Stage.PRODUCTION


def test_an_owner_records_the_stage_through_the_api_with_a_token(client, owned_initiative, alice):
    auth = bearer(alice)

    own = patch(client, "/api/migrations/coreos/", {"stage": Stage.PRODUCTION}, **auth)
    other = patch(client, "/api/migrations/iot/", {"stage": Stage.PRODUCTION}, **auth)

    assert own.status_code == 200
    assert own.json()["stage"] == Stage.PRODUCTION
    assert other.status_code == 403
    assert "subproject's owners" in other.json()["detail"]
    assert Migration.objects.get(subproject__key="iot").stage != Stage.PRODUCTION


def test_owner_names_match_whatever_their_case(client, owned_initiative, django_user_model):
    dusty = django_user_model.objects.create_user("dusty", password="pw-dusty-123")
    response = patch(client, "/api/migrations/coreos/", {"stage": Stage.BETA}, **bearer(dusty))
    assert response.status_code == 200


def test_an_owner_edits_the_blockers_of_their_subproject_only(
    client, owned_initiative, alice, member
):
    coreos, iot = blockers_for(member)
    client.force_login(alice)

    assert "Edit" in client.get(f"/blockers/{coreos.pk}/").content.decode()
    page = client.post(f"/blockers/{coreos.pk}/status/", {"status": "in_progress"})
    refused_page = client.post(f"/blockers/{iot.pk}/status/", {"status": "in_progress"})
    api = patch(client, f"/api/blockers/{coreos.pk}/", {"severity": "critical"}, **bearer(alice))
    refused_api = patch(client, f"/api/blockers/{iot.pk}/", {"severity": "critical"})

    assert page.status_code == 302
    assert api.status_code == 200
    coreos.refresh_from_db()
    assert (coreos.status, coreos.severity) == ("in_progress", "critical")
    assert refused_page.status_code == 403
    assert refused_api.status_code == 403
    iot.refresh_from_db()
    assert (iot.status, iot.severity) == ("open", "major")


def test_a_member_files_blockers_but_steers_nothing(client, owned_initiative, member, alice):
    coreos, _ = blockers_for(alice)
    client.force_login(member)
    auth = bearer(member)

    filed_page = client.post(
        "/blockers/new/", {"title": "Docs missing", "severity": "minor", "category": "other"}
    )
    filed_api = client.post(
        "/api/blockers/", {"title": "Signing missing"}, content_type="application/json", **auth
    )

    assert filed_page.status_code == 302
    assert filed_api.status_code == 201
    assert client.post("/subprojects/coreos/", {"stage": Stage.BETA}).status_code == 403
    assert patch(client, "/api/migrations/coreos/", {"stage": 2}, **auth).status_code == 403
    assert patch(client, f"/api/blockers/{coreos.pk}/", {"status": "resolved"}).status_code == 403
    milestone = client.post("/milestones/clean-dev-pipeline/", {"status": "done"})
    assert milestone.status_code == 403
    assert Blocker.objects.filter(reporter=member).count() == 2


def test_anonymous_visitors_read_and_change_nothing(client, owned_initiative, member):
    coreos, _ = blockers_for(member)

    for url in ("/", "/subprojects/coreos/", f"/blockers/{coreos.pk}/", "/api/migrations/"):
        assert client.get(url).status_code == 200, url
    assert "Record the migration stage" not in client.get("/subprojects/coreos/").content.decode()

    api = patch(client, "/api/migrations/coreos/", {"stage": Stage.PRODUCTION})
    filed = client.post("/api/blockers/", {"title": "Anonymous"}, content_type="application/json")
    page = client.post("/subprojects/coreos/", {"stage": Stage.PRODUCTION})

    assert api.status_code == 401
    assert api["WWW-Authenticate"].startswith("Bearer")
    assert filed.status_code == 401
    assert page.status_code == 403
    assert client.get("/blockers/new/").status_code == 302  # to the sign-in page
    assert Migration.objects.get(subproject__key="coreos").stage != Stage.PRODUCTION


def test_a_lead_from_fas_steers_everything_without_staff_status(
    client, fedora, owned_initiative, member
):
    fedora.set_user(sub=301, nickname="lena", email="lena@example.org", groups=["bootc-sig"])
    sign_in(client, fedora, "lena")
    lena = User.objects.get(username="lena")
    assert not lena.is_staff
    _, iot = blockers_for(member)

    milestone = client.post("/milestones/clean-dev-pipeline/", {"status": "at_risk"})
    stage = client.post("/subprojects/iot/", {"stage": Stage.DEVELOPMENT})
    blocker = patch(client, f"/api/blockers/{iot.pk}/", {"status": "in_progress"}, **bearer(lena))

    assert milestone.status_code == 302
    assert Milestone.objects.get(key="clean-dev-pipeline").status == "at_risk"
    assert stage.status_code == 302
    assert Migration.objects.get(subproject__key="iot").stage == Stage.DEVELOPMENT
    assert blocker.status_code == 200
    assert client.get("/admin/").status_code == 302  # the admin is for superusers


def test_losing_the_fas_group_takes_the_lead_role_away_at_the_next_sign_in(
    client, fedora, owned_initiative
):
    fedora.set_user(sub=302, nickname="leo", email="leo@example.org", groups=["bootc-sig"])
    sign_in(client, fedora, "leo")
    leo = User.objects.get(username="leo")
    auth = bearer(leo)
    assert patch(client, "/api/migrations/iot/", {"stage": 1}, **auth).status_code == 200
    client.post("/accounts/logout/")

    fedora.set_user(sub=302, nickname="leo", email="leo@example.org", groups=["packager"])
    sign_in(client, fedora, "leo")

    assert client.post("/subprojects/iot/", {"stage": Stage.BETA}).status_code == 403
    # The token is the same person: roles are read again at each request, not kept in it.
    assert patch(client, "/api/migrations/iot/", {"stage": 2}, **auth).status_code == 403
    assert Migration.objects.get(subproject__key="iot").stage == Stage.DEVELOPMENT


def test_a_role_taken_away_applies_to_a_session_already_open(client, owned_initiative, lead):
    client.force_login(lead)
    assert client.post("/subprojects/iot/", {"stage": Stage.DEVELOPMENT}).status_code == 302
    assert "Record the migration stage" in client.get("/subprojects/iot/").content.decode()

    lead.groups.clear()

    assert "Record the migration stage" not in client.get("/subprojects/iot/").content.decode()
    assert client.post("/subprojects/iot/", {"stage": Stage.BETA}).status_code == 403


def test_an_owner_signed_in_with_fedora_owns_by_their_fas_name(client, fedora, owned_initiative):
    # "Dusty" in the file: FAS names are lower case, the file's spelling does not matter.
    fedora.set_user(sub=303, nickname="dusty", email="dusty@example.org", groups=[])
    sign_in(client, fedora, "dusty")

    response = client.post("/subprojects/coreos/", {"stage": Stage.PRODUCTION})

    assert response.status_code == 302
    assert Migration.objects.get(subproject__key="coreos").stage == Stage.PRODUCTION
    profile = client.get("/accounts/profile/").content.decode()
    assert "Owner of Fedora CoreOS" in profile


def test_the_admin_is_for_superusers_only(client, admin_user, lead):
    lead.is_staff = True  # even a lead given staff status by hand
    lead.save()
    client.force_login(lead)
    assert client.get("/admin/").status_code == 302
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 200
