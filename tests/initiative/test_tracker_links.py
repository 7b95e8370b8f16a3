"""Tracker links in the initiative file: `tracker_labels` and `tracker_milestones`."""

import textwrap

import pytest

from fedimage.core.initiative_file import InitiativeFileError, load_initiative_file, parse
from fedimage.initiative.models import Blocker, Milestone, Subproject, tracking_key
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

LINKED = """\
[initiative]
name = "Test initiative"

[[releases]]
key = "f44"
name = "Fedora 44"

[[milestones]]
key = "pipeline"
release = "f44"
title = "A clean development pipeline"
tracker_labels = ["f44", "area/install"]
tracker_milestones = ["Fedora 44"]

[[subprojects]]
key = "coreos"
name = "Fedora CoreOS"
tracker_labels = ["coreos"]
"""


def write(tmp_path, text):
    path = tmp_path / "initiative.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_loader_stores_tracker_labels_and_milestones(tmp_path):
    load_initiative_file(write(tmp_path, LINKED))

    milestone = Milestone.objects.get(key="pipeline")
    assert milestone.tracker_labels == ["f44", "area/install"]
    assert milestone.tracker_milestones == ["Fedora 44"]
    coreos = Subproject.objects.get(key="coreos")
    assert (coreos.tracker_labels, coreos.tracker_milestones) == (["coreos"], [])


def test_reloading_tracker_links_updates_only_what_changed(tmp_path):
    load_initiative_file(write(tmp_path, LINKED))
    again = load_initiative_file(write(tmp_path, LINKED))
    changed = load_initiative_file(
        write(tmp_path, LINKED.replace('["Fedora 44"]', '["Fedora 44", "Fedora 45"]'))
    )

    assert again.unchanged == {"releases": 1, "milestones": 1, "subprojects": 1}
    assert changed.updated == {"milestones": 1}
    assert Milestone.objects.get(key="pipeline").tracker_milestones == ["Fedora 44", "Fedora 45"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('tracker_labels = "f44"', "line 12: milestones[1].tracker_labels: expected a list"),
        ("tracker_labels = [44]", "line 12: milestones[1].tracker_labels: expected a list of"),
        ('tracker_labels = [" "]', "line 12: milestones[1].tracker_labels: expected a list of"),
        (
            'tracker_labels = ["f44\\nf45"]',
            "line 12: milestones[1].tracker_labels: contains a line break (U+000A) after 'f44'",
        ),
        (
            'tracker_labels = ["f44", "f44"]',
            "line 12: milestones[1].tracker_labels: 'f44' is listed",
        ),
        (
            f'tracker_milestones = ["{"x" * 301}"]',
            "line 12: milestones[1].tracker_milestones: 'xxxx",
        ),
        (
            "tracker_labels = [" + ", ".join(f'"l{i}"' for i in range(21)) + "]",
            "line 12: milestones[1].tracker_labels: at most 20 names",
        ),
        (
            'tracker_labels = ["f44"]\nmigration_stage = "beta"',
            "line 12: milestones[1].tracker_labels: progress counts either the subprojects",
        ),
    ],
    ids=["string", "number", "blank", "line-break", "twice", "too-long", "too-many", "stage"],
)
def test_malformed_tracker_links_are_rejected_with_their_line(line, message):
    text = LINKED.replace(
        'tracker_labels = ["f44", "area/install"]\ntracker_milestones = ["Fedora 44"]', line
    )

    with pytest.raises(InitiativeFileError) as exc:
        parse(text)

    assert str(exc.value).startswith(message)


def test_subproject_tracker_links_are_validated_like_a_milestones():
    text = LINKED.replace('tracker_labels = ["coreos"]', 'tracker_milestones = "Fedora 44"')

    with pytest.raises(InitiativeFileError, match=r"^line 18: subprojects\[1\]\.tracker_mile"):
        parse(text)


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://github.com/bootc-dev/bootc/issues/123", ("bootc-dev/bootc", 123)),
        ("https://gitlab.com/fedora/bootc/base-images/-/work_items/51",
         ("fedora/bootc/base-images", 51)),
        ("https://forge.fedoraproject.org/atomic-desktops/tracker/issues/7/",
         ("atomic-desktops/tracker", 7)),
        ("https://github.com/bootc-dev/bootc/pull/9", ("", None)),
        ("https://github.com/bootc-dev/bootc/issues/99999999999", ("", None)),
        ("", ("", None)),
    ],
)  # fmt: skip
def test_tracking_key_names_the_issue_a_tracking_url_points_at(url, key):
    assert tracking_key(url) == key


def test_blocker_save_keeps_its_tracking_key_in_step_with_its_url():
    blocker = Blocker.objects.create(
        title="Release race",
        reporter=UserFactory(),
        tracking_url="https://gitlab.com/a/b/-/issues/4",
    )
    blocker.tracking_url = "https://github.com/bootc-dev/bootc/issues/5"
    blocker.save(update_fields=["tracking_url"])

    blocker.refresh_from_db()
    assert (blocker.tracking_project, blocker.tracking_number) == ("bootc-dev/bootc", 5)
