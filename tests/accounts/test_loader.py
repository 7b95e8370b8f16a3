"""The initiative file's [roles]: lead groups and names, applied at each sign-in with Fedora."""

import pytest
from django.contrib.auth.models import User

from fedimage.accounts.models import FileRoles
from fedimage.core.initiative_file import InitiativeFileError, load_initiative_file
from fedimage.initiative.rules import is_lead
from tests.accounts.test_pipeline import sign_in
from tests.conftest import INITIATIVE_FILE

pytestmark = pytest.mark.django_db


def load_with(tmp_path, roles: str):
    path = tmp_path / "initiative.toml"
    path.write_text(INITIATIVE_FILE.read_text() + "\n" + roles)
    return load_initiative_file(path)


def test_the_files_lead_groups_and_names_make_leads_at_sign_in(client, fedora, settings, tmp_path):
    settings.FEDORA_LEAD_GROUPS = []
    report = load_with(tmp_path, '[roles]\nlead_groups = ["fcos-leads"]\nlead_users = ["jlebon"]\n')
    assert report.created["roles"] == 1
    fedora.set_user(sub=601, nickname="travier", email="t@example.org", groups=["fcos-leads"])
    fedora.set_user(sub=602, nickname="jlebon", email="j@example.org", groups=[])
    fedora.set_user(sub=603, nickname="someone", email="s@example.org", groups=["packager"])

    for nickname in ("travier", "jlebon", "someone"):
        sign_in(client, fedora, nickname)
        client.post("/accounts/logout/")

    assert is_lead(User.objects.get(username="travier"))
    assert is_lead(User.objects.get(username="jlebon"))
    assert not is_lead(User.objects.get(username="someone"))
    assert "roles: 1 created, 0 updated, 0 unchanged" in report.lines()


def test_a_file_without_roles_takes_them_back_at_the_next_sign_in(
    client, fedora, settings, tmp_path
):
    settings.FEDORA_LEAD_GROUPS = []
    load_with(tmp_path, '[roles]\nlead_groups = ["fcos-leads"]\n')
    fedora.set_user(sub=604, nickname="dustymabe", email="d@example.org", groups=["fcos-leads"])
    sign_in(client, fedora, "dustymabe")
    assert is_lead(User.objects.get(username="dustymabe"))
    client.post("/accounts/logout/")

    again = load_initiative_file(INITIATIVE_FILE)
    sign_in(client, fedora, "dustymabe")

    assert again.updated["roles"] == 1
    assert FileRoles.objects.get().lead_groups == []
    assert not is_lead(User.objects.get(username="dustymabe"))


def test_loading_the_same_roles_again_changes_nothing(tmp_path):
    load_with(tmp_path, '[roles]\nlead_users = ["nimbinatus"]\n')
    again = load_with(tmp_path, '[roles]\nlead_users = ["nimbinatus"]\n')
    assert again.unchanged["roles"] == 1
    assert FileRoles.objects.count() == 1


@pytest.mark.parametrize(
    ("roles", "error"),
    [
        ('lead_groups = "bootc-sig"', r"roles\.lead_groups: expected a list"),
        ('lead_users = ["nimbinatus", "<script>"]', r"roles\.lead_users: expected a list of FAS"),
        ('leads = ["x"]', r"roles\.leads: unknown key"),
    ],
)
def test_bad_roles_are_refused_naming_the_line_and_nothing_is_loaded(tmp_path, roles, error):
    with pytest.raises(InitiativeFileError, match=error) as refused:
        load_with(tmp_path, f"[roles]\n{roles}\n")
    assert str(refused.value).startswith("line ")
    assert not FileRoles.objects.exists()


def test_a_schema_error_names_the_line_of_the_roles_key(tmp_path):
    """The line counts from the top of the whole file, after every other section."""
    lines = len(INITIATIVE_FILE.read_text().splitlines())
    with pytest.raises(InitiativeFileError) as refused:
        load_with(tmp_path, '[roles]\nlead_groups = ["bootc-sig"]\nlead_users = [7]\n')
    assert str(refused.value) == (
        f"line {lines + 4}: roles.lead_users: expected a list of FAS names "
        "(a letter, then letters, digits, . _ -), got 7"
    )
