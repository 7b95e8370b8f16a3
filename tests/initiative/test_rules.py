"""The initiative's rules: who may file, change and steer, asked the same way everywhere."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from fedimage.core.permissions import allowed, require
from fedimage.initiative.models import Migration, Milestone, Subproject
from fedimage.initiative.rules import is_subproject_owner
from fedimage.initiative.services import blocker_file

pytestmark = pytest.mark.django_db


def test_a_blockers_reporter_owner_and_leads_may_change_it(member, other_member, lead, initiative):
    blocker = blocker_file(reporter=member, title="Upgrade loops")
    owned = blocker_file(reporter=lead, title="Owned", owner=other_member)

    assert allowed(member, "initiative.edit_blocker", blocker)
    assert allowed(lead, "initiative.edit_blocker", blocker)
    assert not allowed(other_member, "initiative.edit_blocker", blocker)
    assert allowed(other_member, "initiative.edit_blocker", owned)
    assert not allowed(AnonymousUser(), "initiative.edit_blocker", blocker)


def test_only_leads_and_superusers_steer(member, lead, admin_user, initiative):
    milestone = Milestone.objects.first()
    migration = Migration.objects.select_related("subproject").first()
    for rule, obj in (
        ("initiative.set_milestone_status", milestone),
        ("initiative.set_migration_stage", migration),
    ):
        assert allowed(lead, rule, obj)
        assert allowed(admin_user, rule, obj)
        assert not allowed(member, rule, obj)


def test_a_subprojects_owners_record_its_stage_and_change_its_blockers(
    member, other_member, initiative
):
    coreos = Subproject.objects.get(key="coreos")
    coreos.owners = member.username.upper()
    coreos.save()
    migration = Migration.objects.select_related("subproject").get(subproject=coreos)
    other = Migration.objects.select_related("subproject").get(subproject__key="iot")
    blocker = blocker_file(reporter=other_member, title="CoreOS stuck", subprojects=[coreos])
    unlinked = blocker_file(reporter=other_member, title="Somebody else's")

    assert allowed(member, "initiative.set_migration_stage", migration)
    assert not allowed(member, "initiative.set_migration_stage", other)
    assert allowed(member, "initiative.edit_blocker", blocker)
    assert not allowed(member, "initiative.edit_blocker", unlinked)
    assert not allowed(AnonymousUser(), "initiative.set_migration_stage", migration)


def test_a_refusal_says_the_rules_message_once_defined(member, initiative):
    with pytest.raises(PermissionDenied, match="Only initiative leads may change a milestone"):
        require(member, "initiative.set_milestone_status", Milestone.objects.first())
    with pytest.raises(PermissionDenied, match="Sign in to file a blocker"):
        require(AnonymousUser(), "initiative.file_blocker")


def test_a_subprojects_owners_are_the_names_it_lists(member, other_member, initiative):
    subproject = Subproject.objects.get(key="coreos")
    subproject.owners = f"someone, {member.username}"

    assert is_subproject_owner(member, subproject)
    assert not is_subproject_owner(other_member, subproject)
    assert not is_subproject_owner(AnonymousUser(), subproject)


def test_the_api_refuses_with_the_rules_message(member_client, initiative):
    response = member_client.patch(
        "/api/milestones/clean-dev-pipeline/",
        {"status": "done"},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "Only initiative leads may change a milestone's status."}
