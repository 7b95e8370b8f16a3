"""GPG simple signing (CoreOS): noted, and checked on a lookaside only when one is configured."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from fedimage.core.initiative_file import InitiativeFileError
from fedimage.health.models import HealthState, TagState, WatchedImage
from fedimage.health.services import image_poll
from tests.health.factories import WatchedImageFactory
from tests.health.registry_server import StubResponse
from tests.health.test_loader import load

pytestmark = pytest.mark.django_db

COREOS = """
[[images]]
key = "fedora-coreos"
name = "Fedora CoreOS"
registry = "quay.io"
repository = "fedora/fedora-coreos"
tags = ["stable"]
arches = ["amd64"]
"""


def test_gpg_signing_without_a_lookaside_is_noted_and_not_expected(tmp_path: Path):
    load(tmp_path, COREOS + 'signature = true\nsignature_kind = "gpg"\n')
    image = WatchedImage.objects.get()
    assert (image.signature_kind, image.signature_expected) == ("gpg", False)


def test_gpg_signing_with_a_lookaside_is_expected(tmp_path: Path):
    lookaside = "https://ostree.fedoraproject.org/lookaside"
    load(tmp_path, COREOS + f'signature_kind = "gpg"\nsignature_lookaside = "{lookaside}"\n')
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
        load(tmp_path, COREOS + extra)
    assert error in str(caught.value)
    assert not WatchedImage.objects.exists()


def test_a_gpg_signed_tag_is_checked_on_its_lookaside(registry, pusher, repo, stub_server):
    now: datetime = timezone.now()
    pushed = pusher.push_multiarch(
        repo, "44", architectures=("amd64", "arm64"), created=now.isoformat()
    )
    image = WatchedImageFactory(
        registry=registry.host,
        repository=repo,
        signature_expected=True,
        signature_kind="gpg",
        signature_lookaside=f"{stub_server.url}/lookaside",
    )
    image_poll(image=image, now=now)
    state = TagState.objects.get(image=image)
    assert state.state == HealthState.DEGRADED
    assert "no GPG simple signature on the lookaside" in state.reason

    algorithm, hex_digest = pushed.digest.split(":")
    stub_server.route(
        "GET",
        f"/lookaside/{repo}@{algorithm}={hex_digest}/signature-1",
        StubResponse(200, body=b"\x89\x02\x1c\x04 a simple signing blob"),
    )
    image_poll(image=image, now=now + timedelta(hours=1))
    state.refresh_from_db()
    assert state.state == HealthState.HEALTHY
    assert state.signed is True
