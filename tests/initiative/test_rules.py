"""The initiative's rules: who may file, change and steer, asked the same way everywhere."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from fedimage.core.permissions import allowed, require
from fedimage.initiative.models import Milestone, Subproject
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
    for rule in ("initiative.set_milestone_status", "initiative.set_migration_stage"):
        assert allowed(lead, rule, milestone)
        assert allowed(admin_user, rule, milestone)
        assert not allowed(member, rule, milestone)


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
