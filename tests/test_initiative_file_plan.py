"""The shipped initiative file watches every image and syncs every tracker the plan names.

The names are those of the initiative's reference (shared/reference/initiative.md, "Subprojects
and what they ship" and "Trackers"), brace lists expanded.
"""

from itertools import product

import pytest

from fedimage.health.models import WatchedImage
from trackers.models import TrackerSource

KONFLUX = [
    f"quay.io/bootc-devel/fedora-bootc-{release}-{variant}"
    for release, variant in product(
        ("rawhide", "44", "45"), ("minimal", "minimal-plus", "standard", "iot")
    )
]
DESKTOPS = ["silverblue", "kinoite", "sway-atomic", "budgie-atomic", "cosmic-atomic"]
IMAGES = {
    "quay.io/fedora/fedora-bootc": {"rawhide", "44", "45"},
    **{ref: set() for ref in KONFLUX},
    "quay.io/fedora/fedora-coreos": {"stable", "testing", "next"},
    "quay.io/fedora/fedora-iot": {"44", "45"},
    **{f"quay.io/fedora/fedora-{d}": {"44", "45"} for d in DESKTOPS},
    **{f"quay.io/fedora-ostree-desktops/{d}": set() for d in [*DESKTOPS, "base-atomic"]},
    "ghcr.io/ublue-os/base-main": set(),
    "ghcr.io/ublue-os/silverblue-main": set(),
    "ghcr.io/ublue-os/kinoite-main": set(),
    "ghcr.io/projectbluefin/bluefin": set(),
}
GITLAB = [
    "fedora/bootc/tracker",
    "fedora/bootc/base-images",
    "fedora/bootc/compose-images",
    "fedora/bootc/tekton-catalog",
    "fedora/bootc/docs",
    "fedora/bootc/tests/bootc-workflow-report",
    "fedora/infrastructure/konflux/tenants-config",
]
FORGE = ["atomic-desktops/tracker", "releng/tickets"]
GITHUB_UPSTREAM = [
    "bootc-dev/bootc",
    "osbuild/image-builder",
    *(
        f"konflux-ci/{name}"
        for name in (
            "build-definitions",
            "konflux-ui",
            "build-service",
            "integration-service",
            "release-service",
            "image-controller",
            "multi-platform-controller",
        )
    ),
]
GITHUB_OTHERS = ["coreos/fedora-coreos-tracker", "fedora-iot/iot-distro", "ublue-os/main"]


@pytest.mark.django_db
def test_every_image_of_the_plan_is_watched_with_its_tags(initiative):
    watched = {image.reference: image for image in WatchedImage.objects.filter(active=True)}
    assert set(IMAGES) <= set(watched)
    for reference, tags in IMAGES.items():
        assert tags <= set(watched[reference].tags), reference


@pytest.mark.django_db
def test_signatures_are_expected_as_each_source_signs(initiative):
    images = {i.reference: i for i in WatchedImage.objects.all()}
    for desktop in [*DESKTOPS, "base-atomic"]:
        ci_build = images[f"quay.io/fedora-ostree-desktops/{desktop}"]
        assert ci_build.signature_expected
        assert ci_build.signature_kind == "cosign"
    coreos = images["quay.io/fedora/fedora-coreos"]
    assert coreos.signature_kind == "gpg"
    # No lookaside is configured in the shipped file: GPG signatures are noted, not expected.
    assert not coreos.signature_lookaside
    assert not coreos.signature_expected


@pytest.mark.django_db
def test_every_tracker_of_the_plan_is_synced_and_upstream_is_explicit(initiative):
    sources = {(s.kind, s.project): s for s in TrackerSource.objects.filter(enabled=True)}
    for kind, projects in (
        ("gitlab", GITLAB),
        ("forgejo", FORGE),
        ("github", GITHUB_UPSTREAM + GITHUB_OTHERS),
    ):
        for project in projects:
            assert (kind, project) in sources, project
    assert {p for (k, p), s in sources.items() if s.upstream} == set(GITHUB_UPSTREAM)
    assert sources["forgejo", "releng/tickets"].base_url == "https://forge.fedoraproject.org"


def test_every_source_in_the_file_says_whether_it_is_upstream():
    from tests.conftest import INITIATIVE_FILE

    tables = INITIATIVE_FILE.read_text().split("[[trackers]]")[1:]
    assert tables
    assert all("\nupstream = " in table for table in tables)
