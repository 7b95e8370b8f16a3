"""The [[trackers]] section of the initiative file."""

import pytest

from fedimage.core.initiative_file import InitiativeFileError, apply, load_initiative_file, parse
from tests.conftest import INITIATIVE_FILE
from trackers.models import TrackerSource

pytestmark = pytest.mark.django_db

HEAD = """\
[initiative]
name = "Test initiative"

[[releases]]
key = "f44"
name = "Fedora 44"

[[subprojects]]
key = "coreos"
name = "Fedora CoreOS"
"""

GITLAB = """
[[trackers]]
name = "tracker"
kind = "gitlab"
project = "fedora/bootc/tracker"
board = 7
token_env = "FEDIMAGE_GITLAB_TOKEN"
"""


def load(text: str):
    return apply(parse(text))


def test_real_initiative_file_declares_the_initiative_trackers(initiative):
    sources = {s.name: s for s in TrackerSource.objects.all()}
    assert sources["fedora-bootc-tracker"].project == "fedora/bootc/tracker"
    assert sources["fedora-bootc-tracker"].base_url == "https://gitlab.com"
    assert sources["atomic-desktops-tracker"].kind == "forgejo"
    assert sources["atomic-desktops-tracker"].base_url == "https://forge.fedoraproject.org"
    bootc = sources["bootc"]
    assert (bootc.kind, bootc.base_url) == ("github", "https://api.github.com")
    assert bootc.upstream is True
    assert bootc.token_env == "FEDIMAGE_GITHUB_TOKEN"
    assert sources["fedora-coreos-tracker"].subproject.key == "coreos"
    assert {"konflux-ui", "konflux-build-definitions", "image-builder"} <= set(sources)


def test_reloading_the_file_changes_nothing(initiative):
    report = load_initiative_file(INITIATIVE_FILE)
    assert report.created.get("trackers", 0) == report.updated.get("trackers", 0) == 0
    assert report.unchanged["trackers"] == TrackerSource.objects.count()


def test_changing_the_project_resets_the_sync_cursor():
    load(HEAD + GITLAB)
    TrackerSource.objects.update(cursor="2026-01-05T09:00:00Z", etag='W/"x"')
    report = load(HEAD + GITLAB.replace("fedora/bootc/tracker", "fedora/bootc/docs"))
    source = TrackerSource.objects.get()
    assert report.updated["trackers"] == 1
    assert (source.project, source.cursor, source.etag) == ("fedora/bootc/docs", None, "")


def test_source_dropped_from_the_file_is_disabled_not_deleted():
    load(HEAD + GITLAB)
    report = load(HEAD)
    assert TrackerSource.objects.get().enabled is False
    assert report.not_in_file["trackers"] == ["tracker"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ('token_env = "FEDIMAGE_GITLAB_TOKEN"', 'token = "glpat-123"'),
            "line 17: trackers[1].token: never put a secret in the file",
        ),
        (
            ('token_env = "FEDIMAGE_GITLAB_TOKEN"', 'token_env = "glpat-123"'),
            "line 17: trackers[1].token_env: 'glpat-123' is not an environment variable name",
        ),
        (('kind = "gitlab"', 'kind = "jira"'), "line 14: trackers[1].kind: 'jira' is not one of"),
        (("board = 7", 'board = "seven"'), "line 16: trackers[1].board: expected an integer"),
        (
            ('project = "fedora/bootc/tracker"', 'project = "fedora bootc"'),
            "line 15: trackers[1].project: 'fedora bootc' is not a GitLab project",
        ),
        (
            ('kind = "gitlab"', 'kind = "gitlab"\nbase_url = "http://gitlab.example.org"'),
            "trackers[1].base_url: plain http:// is allowed only for loopback",
        ),
        (
            (
                'kind = "gitlab"\nproject = "fedora/bootc/tracker"',
                'kind = "github"\nproject = "bootc-dev/bootc"',
            ),
            "line 16: trackers[1].board: a GitLab board id",
        ),
    ],
)
def test_bad_tracker_table_is_rejected_with_its_line_and_nothing_is_written(change, message):
    with pytest.raises(InitiativeFileError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load(HEAD + GITLAB.replace(*change))
    assert not TrackerSource.objects.exists()


def test_the_same_project_declared_twice_is_rejected():
    twice = GITLAB + GITLAB.replace('name = "tracker"', 'name = "again"')
    with pytest.raises(InitiativeFileError, match=r"trackers\[2\].project: already declared"):
        load(HEAD + twice)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("board = 7", "board = 7\nenabled = 'yes'"),
         "line 17: trackers[1].enabled: expected true or false, got str 'yes'"),
        (('name = "tracker"', 'name = "Tracker One"'),
         "line 13: trackers[1].name: 'Tracker One' is not a slug"),
        (('kind = "gitlab"\n', ""), "line 12: trackers[1]: 'kind' is required"),
        (("board = 7", "board = 7\nbranch = 'main'"), "line 17: trackers[1].branch: unknown key"),
    ],
    ids=["type", "slug", "missing", "unknown"],
)  # fmt: skip
def test_a_schema_error_names_the_line_of_the_tracker_key(change, message):
    with pytest.raises(InitiativeFileError) as refused:
        parse(HEAD + GITLAB.replace(*change))
    assert str(refused.value).startswith(message)
