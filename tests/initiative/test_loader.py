import textwrap

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from fedimage.core.initiative_file import InitiativeFileError, load_initiative_file, parse
from fedimage.initiative.models import (
    Initiative,
    Migration,
    Milestone,
    MilestoneStatus,
    Release,
    Stage,
    Subproject,
)
from fedimage.initiative.services import milestone_set_status
from tests.conftest import INITIATIVE_FILE

pytestmark = pytest.mark.django_db

MINIMAL = """\
[initiative]
name = "Test initiative"

[[releases]]
key = "f44"
name = "Fedora 44"
final_target = 2026-04-14

[[milestones]]
key = "pipeline"
release = "f44"
title = "A clean development pipeline"
target_date = 2026-03-10

[[subprojects]]
key = "coreos"
name = "Fedora CoreOS"
stage = "beta"
beta_target = "f44"
"""


def write(tmp_path, text, name="initiative.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def counts():
    return (
        Release.objects.count(),
        Milestone.objects.count(),
        Subproject.objects.count(),
        Migration.objects.count(),
        Milestone.history.count(),
    )


def test_real_initiative_file_loads_the_plan():
    report = load_initiative_file(INITIATIVE_FILE)
    assert report.created | {"releases": 3, "milestones": 11, "subprojects": 9} == report.created
    assert set(Release.objects.values_list("key", flat=True)) == {"f44", "f45", "post-f45"}
    assert Milestone.objects.filter(release__key="f44").count() == 4
    assert Milestone.objects.get(key="universal-installer").stretch is True
    assert Subproject.objects.get(key="coreos").migration.beta_target.key == "f44"
    assert Initiative.objects.get().matrix_room == "#bootc:fedoraproject.org"


def test_loading_twice_changes_nothing_and_duplicates_nothing():
    load_initiative_file(INITIATIVE_FILE)
    before = counts()
    report = load_initiative_file(INITIATIVE_FILE)
    assert counts() == before
    assert report.created == {}
    assert report.updated == {}
    assert (
        report.unchanged | {"releases": 3, "milestones": 11, "subprojects": 9} == report.unchanged
    )


def test_reload_updates_changed_fields_and_records_history(tmp_path):
    load_initiative_file(write(tmp_path, MINIMAL))
    changed = MINIMAL.replace("target_date = 2026-03-10", "target_date = 2026-05-01")
    report = load_initiative_file(write(tmp_path, changed))
    assert report.updated == {"milestones": 1}
    milestone = Milestone.objects.get(key="pipeline")
    assert str(milestone.target_date) == "2026-05-01"
    latest = milestone.history.latest()
    assert latest.history_change_reason == "initiative file"
    assert str(latest.prev_record.target_date) == "2026-03-10"


def test_file_status_only_seeds_and_never_overrides_the_dashboard(tmp_path, lead):
    seeded = MINIMAL.replace(
        "target_date = 2026-03-10", 'target_date = 2026-03-10\nstatus = "on-track"'
    )
    load_initiative_file(write(tmp_path, seeded))
    milestone = Milestone.objects.get(key="pipeline")
    assert milestone.status == MilestoneStatus.ON_TRACK
    milestone_set_status(milestone=milestone, user=lead, status=MilestoneStatus.AT_RISK)
    load_initiative_file(write(tmp_path, seeded))
    assert Milestone.objects.get(key="pipeline").status == MilestoneStatus.AT_RISK
    assert Subproject.objects.get(key="coreos").migration.stage == Stage.BETA


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [
        (
            lambda t: t.replace('name = "Fedora 44"', 'name = "Fedora 44'),
            "line 6, column 18: not valid TOML",
        ),
        (
            lambda t: t.replace('release = "f44"', 'release = "f46"'),
            "line 11: milestones[1].release: unknown release 'f46'",
        ),
        (
            lambda t: t.replace("target_date = 2026-03-10", 'target_date = "soon"'),
            "line 13: milestones[1].target_date: expected a date",
        ),
        (
            lambda t: t.replace("target_date = 2026-03-10", "target_date = 2026-03-10T10:00:00Z"),
            "not a date-time",
        ),
        (
            lambda t: t.replace('stage = "beta"', 'stage = "almost"'),
            "subprojects[1].stage: 'almost' is not one of",
        ),
        (
            lambda t: t + '\n[[subprojects]]\nkey = "coreos"\nname = "Again"\n',
            "line 22: subprojects[2].key: 'coreos' is used twice",
        ),
        (lambda t: t + "\n[[imagez]]\nname = 'x'\n", "unknown section 'imagez'"),
        (
            lambda t: t.replace('key = "pipeline"', 'key = "pipeline"\ncolour = "red"'),
            "milestones[1].colour: unknown key",
        ),
        (lambda t: t.replace('key = "pipeline"', 'key = "Pipe Line"'), "is not a slug"),
        (
            lambda t: t.replace('title = "A clean development pipeline"', "title = true"),
            "expected a string, got a boolean",
        ),
        (lambda t: t.replace('[initiative]\nname = "Test initiative"\n', ""), "'name' is required"),
        # Names and titles are single lines without control characters (ANSI escapes, bidi).
        (
            lambda t: t.replace('"A clean development pipeline"', '"A clean\\ndevelopment"'),
            "line 12: milestones[1].title: contains a line break (U+000A) after 'A clean'; "
            "keep it on one line",
        ),
        (
            lambda t: t.replace('"Fedora CoreOS"', '"Fedora \\u001b[31mCoreOS"'),
            "line 17: subprojects[1].name: contains a control character (U+001B) after 'Fedora '",
        ),
        (
            lambda t: t.replace('"Fedora 44"', '"\\u202eFedora 44"'),
            "line 6: releases[1].name: contains a bidi control (U+202E) at the start",
        ),
        (
            lambda t: t.replace('"Fedora 44"', '"Fedora\\t44"'),
            "releases[1].name: contains a tab (U+0009)",
        ),
        (
            lambda t: t.replace('key = "pipeline"', 'key = "pipeline"\ndescription = "a\\u0007b"'),
            "milestones[1].description: contains a control character (U+0007) after 'a'",
        ),
        # Dates in their order: beta before final, final before end of life.
        (
            lambda t: t.replace(
                "final_target = 2026-04-15", "final_target = 1900-01-01\nbeta_target = 2026-02-24"
            ),
            "releases[1].final_target: 1900-01-01 is before beta_target 2026-02-24",
        ),
        (
            lambda t: t.replace(
                "final_target = 2026-04-15", "final_target = 2026-04-15\nend_of_life = 2026-01-01"
            ),
            "line 8: releases[1].end_of_life: 2026-01-01 is before final_target 2026-04-15",
        ),
    ],
)
def test_malformed_file_is_rejected_with_line_and_reason_and_nothing_changes(
    tmp_path, mutation, expected
):
    load_initiative_file(write(tmp_path, MINIMAL))
    before = counts()
    # A valid change early in the file must not be applied when a later part is bad.
    broken = mutation(MINIMAL.replace("final_target = 2026-04-14", "final_target = 2026-04-15"))
    with pytest.raises(InitiativeFileError) as excinfo:
        load_initiative_file(write(tmp_path, broken))
    assert expected in str(excinfo.value)
    assert counts() == before
    assert str(Release.objects.get(key="f44").final_target) == "2026-04-14"


def test_multiline_text_keeps_its_line_breaks(tmp_path):
    text = MINIMAL.replace('key = "pipeline"', 'key = "pipeline"\ndescription = """One.\n\nTwo."""')
    load_initiative_file(write(tmp_path, text))
    assert Milestone.objects.get(key="pipeline").description == "One.\n\nTwo."


def test_command_reports_errors_without_a_traceback(tmp_path):
    path = write(tmp_path, MINIMAL.replace('release = "f44"', "release = 44"))
    with pytest.raises(
        CommandError,
        match=r"(?s)line 11: milestones\[1\].release: expected a string.*Nothing was changed",
    ):
        call_command("load_initiative", str(path))
    assert Release.objects.count() == 0


def test_command_rejects_a_missing_and_a_binary_file(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("load_initiative", str(tmp_path / "nope.toml"))
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("load_initiative", str(binary))


def test_command_prints_what_it_did(capsys):
    call_command("load_initiative", str(INITIATIVE_FILE))
    out = capsys.readouterr().out
    assert "milestones: 11 created, 0 updated, 0 unchanged" in out


def test_rows_missing_from_the_file_are_kept_and_reported(tmp_path):
    load_initiative_file(INITIATIVE_FILE)
    report = load_initiative_file(
        write(tmp_path, MINIMAL.replace('key = "coreos"', 'key = "coreos"'))
    )
    assert "clean-dev-pipeline" in report.not_in_file["milestones"]
    assert Milestone.objects.filter(key="clean-dev-pipeline").exists()


def test_parse_validates_without_touching_the_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        parsed = parse(INITIATIVE_FILE.read_text())
    assert len(parsed["initiative"].milestones) == 11


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


def test_every_schema_error_is_reported_at_its_own_line_in_file_order():
    """The schema reports all it finds at once, so the file's author fixes them in one go."""
    broken = (
        MINIMAL.replace('name = "Fedora 44"', "name = 44\norder = true")
        .replace("target_date = 2026-03-10", 'target_date = "soon"')
        .replace('stage = "beta"', "stage = 3")
    )
    with pytest.raises(InitiativeFileError) as excinfo:
        parse(broken)
    assert str(excinfo.value).splitlines() == [
        "line 6: releases[1].name: expected a string, got int 44",
        "line 7: releases[1].order: expected an integer, got a boolean",
        "line 14: milestones[1].target_date: expected a date, got str 'soon'",
        "line 19: subprojects[1].stage: expected one of own-base, development, beta, "
        "production, got int 3",
    ]


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [
        (
            lambda t: t.replace("[[releases]]", "[releases]"),
            "line 4: releases: write it as [[releases]] tables",
        ),
        (
            lambda t: t.replace("[initiative]", "[[initiative]]"),
            "line 1: initiative: write it as one [initiative] table",
        ),
        (
            lambda t: t.replace('title = "A clean development pipeline"\n', ""),
            "line 9: milestones[1]: 'title' is required",
        ),
        (
            lambda t: t.replace('key = "coreos"', 'key = "coreos"\nowners = ["a, b"]'),
            "line 17: subprojects[1].owners: 'a, b' holds a comma: give one FAS name per item",
        ),
        (
            lambda t: t.replace('name = "Fedora CoreOS"', 'name = "Fedora CoreOS"\norder = 40000'),
            "line 18: subprojects[1].order: must be between 0 and 32767",
        ),
        (
            lambda t: t.replace('beta_target = "f44"', 'beta_target = "f46"'),
            "line 19: subprojects[1].beta_target: unknown release 'f46' (known: f44)",
        ),
    ],
    ids=["releases-table", "initiative-array", "missing", "owners", "order", "target"],
)
def test_a_schema_error_names_the_line_of_the_table_or_key_it_blames(mutation, expected):
    with pytest.raises(InitiativeFileError) as excinfo:
        parse(mutation(MINIMAL))
    assert str(excinfo.value) == expected


# Tracker links: `tracker_labels` and `tracker_milestones` of milestones and subprojects.

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
