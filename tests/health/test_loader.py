"""The [[images]] section of the initiative file."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from fedimage.core.initiative_file import InitiativeFileError, load_initiative_file
from fedimage.health.models import BaseEvidence, TagState, WatchedImage

pytestmark = pytest.mark.django_db

HEAD = """
[initiative]
name = "Test initiative"

[[releases]]
key = "f44"
name = "Fedora 44"

[[milestones]]
key = "beta-base-images"
release = "f44"
title = "Beta base images"

[[subprojects]]
key = "coreos"
name = "CoreOS"
"""

BASE = """
[[images]]
key = "fedora-bootc"
name = "Fedora bootc"
registry = "quay.io"
repository = "fedora/fedora-bootc"
tags = ["rawhide", "44"]
arches = ["x86_64", "aarch64"]
max_age_hours = 48
milestone = "beta-base-images"
"""

COREOS = """
[[images]]
key = "fedora-coreos"
name = "Fedora CoreOS"
registry = "quay.io"
repository = "fedora/fedora-coreos"
tags = ["stable"]
arches = ["amd64"]
subproject = "coreos"
base = "fedora-bootc"
"""


def load(tmp_path: Path, text: str):
    path = tmp_path / "initiative.toml"
    path.write_text(HEAD + text)
    return load_initiative_file(path)


def test_images_load_with_their_tags_and_load_again_without_duplicates(tmp_path: Path) -> None:
    first = load(tmp_path, BASE + COREOS)
    again = load(tmp_path, BASE + COREOS)

    bootc = WatchedImage.objects.get(key="fedora-bootc")
    coreos = WatchedImage.objects.get(key="fedora-coreos")
    assert bootc.expected_arches == ["amd64", "arm64"]
    assert bootc.milestone.key == "beta-base-images"
    assert coreos.base == bootc
    assert coreos.subproject.key == "coreos"
    assert list(bootc.tag_states.values_list("tag", flat=True)) == ["rawhide", "44"]
    assert TagState.objects.get(image=coreos).base_evidence == BaseEvidence.UNKNOWN
    assert first.created["images"] == 2
    assert again.unchanged["images"] == 2
    assert TagState.objects.count() == 3


def test_dropped_tag_and_dropped_image_are_kept_but_no_longer_polled(tmp_path: Path) -> None:
    load(tmp_path, BASE + COREOS)

    report = load(tmp_path, BASE.replace('["rawhide", "44"]', '["44"]'))

    assert not TagState.objects.get(image__key="fedora-bootc", tag="rawhide").active
    assert not WatchedImage.objects.get(key="fedora-coreos").active
    assert report.not_in_file["images"] == ["fedora-coreos"]


INSECURE = ('registry = "quay.io"', 'registry = "quay.io"\ninsecure = true')


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ('subproject = "coreos"', 'subproject = "nope"'),
            "line 35: images[2].subproject: unknown subproject 'nope'",
        ),
        (
            ('base = "fedora-bootc"', 'base = "nope"'),
            "line 36: images[2].base: unknown image 'nope'",
        ),
        (('arches = ["amd64"]', 'arches = ["sparc"]'), "line 34: images[2].arches: 'sparc' is not"),
        (('tags = ["stable"]', "tags = []"), "line 33: images[2].tags: must list at least one"),
        (INSECURE, "line 32: images[2].insecure: plain HTTP is allowed only for loopback"),
    ],
)
def test_bad_image_table_is_rejected_with_its_line_and_nothing_is_written(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    with pytest.raises(InitiativeFileError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load(tmp_path, BASE + COREOS.replace(*change))

    assert not WatchedImage.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("max_age_hours = 48", 'max_age_hours = "48"'), "line 25: images[1].max_age_hours: "
         "expected an integer, got str '48'"),
        (("max_age_hours = 48", "max_age_hours = 0"), "line 25: images[1].max_age_hours: "
         "must be between 1 and 8784 hours"),
        (('tags = ["rawhide", "44"]', 'tags = ["rawhide", 44]'), "line 23: images[1].tags: "
         "expected a list of tags, got 44"),
        (('key = "fedora-bootc"', 'key = "fedora-bootc"\ncolour = "blue"'),
         "line 20: images[1].colour: unknown key (allowed: arches, base, grace_hours, insecure, "),
        (('name = "Fedora bootc"\n', ""), "line 18: images[1]: 'name' is required"),
    ],
    ids=["type", "range", "item", "unknown", "missing"],
)  # fmt: skip
def test_a_schema_error_names_the_line_of_the_image_key(tmp_path: Path, change, message):
    with pytest.raises(InitiativeFileError) as refused:
        load(tmp_path, BASE.replace(*change))
    assert str(refused.value).startswith(message)


def test_the_shipped_initiative_file_watches_the_official_images() -> None:
    load_initiative_file(settings.BASE_DIR / "initiative.toml")

    bootc = WatchedImage.objects.get(key="fedora-bootc")
    assert bootc.reference == "quay.io/fedora/fedora-bootc"
    assert bootc.tags == ["rawhide", "44", "45"]
    assert WatchedImage.objects.get(key="fedora-coreos").base == bootc
    assert not WatchedImage.objects.filter(insecure=True).exists()


# GPG simple signing (CoreOS): noted, and expected only when a lookaside is configured.

# CoreOS on its own: no base image to load with it.
UNSIGNED = COREOS.replace('subproject = "coreos"\nbase = "fedora-bootc"\n', "")


def test_gpg_signing_without_a_lookaside_is_noted_and_not_expected(tmp_path: Path):
    load(tmp_path, UNSIGNED + 'signature = true\nsignature_kind = "gpg"\n')
    image = WatchedImage.objects.get()
    assert (image.signature_kind, image.signature_expected) == ("gpg", False)


def test_gpg_signing_with_a_lookaside_is_expected(tmp_path: Path):
    lookaside = "https://ostree.fedoraproject.org/lookaside"
    load(tmp_path, UNSIGNED + f'signature_kind = "gpg"\nsignature_lookaside = "{lookaside}"\n')
    image = WatchedImage.objects.get()
    assert image.signature_expected
    assert image.signature_lookaside == lookaside


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ('signature_kind = "pgp"\n', "images[1].signature_kind: 'pgp' is not one of cosign, gpg"),
        (
            'signature_lookaside = "https://example.org/sigs"\n',
            'images[1].signature_lookaside: only signature_kind = "gpg" has a lookaside',
        ),
        (
            'signature_kind = "gpg"\nsignature_lookaside = "ftp://example.org"\n',
            "is not an http(s) URL",
        ),
    ],
)
def test_bad_signature_settings_are_refused_with_the_line(tmp_path: Path, extra, error):
    with pytest.raises(InitiativeFileError, match=r"line \d+: ") as caught:
        load(tmp_path, UNSIGNED + extra)
    assert error in str(caught.value)
    assert not WatchedImage.objects.exists()
