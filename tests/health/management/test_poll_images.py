"""The poll_images command, against a real registry."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.health.factories import WatchedImageFactory
from tests.health.oci import TWO_ARCHES, OciPusher, iso
from tests.health.registry_server import RegistryServer

pytestmark = pytest.mark.django_db


def test_poll_images_command_prints_each_tags_state(
    registry: RegistryServer, pusher: OciPusher, repo: str
) -> None:
    pusher.push_multiarch(
        repo, "44", architectures=TWO_ARCHES, created=iso(timezone.now() - timedelta(hours=1))
    )
    image = WatchedImageFactory(registry=registry.host, repository=repo)
    out = StringIO()

    call_command("poll_images", "--image", image.key, stdout=out)

    assert f"{image.reference}:44  HEALTHY  built 1 hour ago" in out.getvalue()
    assert "(7 requests)" in out.getvalue()


def test_poll_images_command_rejects_an_unknown_image() -> None:
    with pytest.raises(CommandError, match="No watched image 'nope'"):
        call_command("poll_images", "--image", "nope", stdout=StringIO())
