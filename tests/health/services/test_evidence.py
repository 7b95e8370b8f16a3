"""Base-image evidence: declared base against what the registry proves."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from fedimage.health.models import BaseEvidence, DigestRecord
from fedimage.health.services import image_poll
from tests.health.factories import tag_state, watch
from tests.health.oci import TWO_ARCHES, OciPusher, iso
from tests.health.registry_server import RegistryServer

pytestmark = pytest.mark.django_db


def test_subproject_image_built_on_the_base_shows_the_evidence_and_builds_behind(
    registry: RegistryServer, pusher: OciPusher, repo: str, now: datetime
) -> None:
    base_repo, child_repo = f"{repo}-base", f"{repo}-child"
    base_build = pusher.push_multiarch(base_repo, "44", architectures=TWO_ARCHES, created=iso(now))
    base = watch(registry, base_repo)
    child = watch(registry, child_repo, base=base)
    image_poll(image=base, now=now)
    pusher.push_multiarch(
        child_repo, "44", architectures=TWO_ARCHES, created=iso(now), base=base_build
    )

    image_poll(image=child, now=now + timedelta(minutes=1))
    state = tag_state(child)
    assert state.base_evidence in (BaseEvidence.ANNOTATION, BaseEvidence.LAYERS)
    assert state.builds_behind == 0
    assert state.base_words.endswith("the newest base build")

    pusher.push_multiarch(base_repo, "44", architectures=TWO_ARCHES, created=iso(now))
    image_poll(image=base, now=now + timedelta(hours=1))
    image_poll(image=child, now=now + timedelta(hours=1, minutes=1))

    state = tag_state(child)
    assert state.builds_behind == 1
    assert state.base_words.endswith("1 base builds behind")


def test_layer_prefix_alone_proves_the_base_when_annotations_are_absent(
    registry: RegistryServer, pusher: OciPusher, repo: str, now: datetime
) -> None:
    base_repo, child_repo = f"{repo}-base", f"{repo}-child"
    base_build = pusher.push_multiarch(base_repo, "44", architectures=TWO_ARCHES, created=iso(now))
    base = watch(registry, base_repo)
    child = watch(registry, child_repo, base=base)
    image_poll(image=base, now=now)
    # Docker manifests carry no OCI base annotations: only the layers tell.
    pusher.push_multiarch(
        child_repo, "44", architectures=TWO_ARCHES, docker=True, created=iso(now), base=base_build
    )

    image_poll(image=child, now=now)

    assert tag_state(child).base_evidence == BaseEvidence.LAYERS


def test_image_not_built_on_the_base_has_no_evidence(
    registry: RegistryServer, pusher: OciPusher, repo: str, now: datetime
) -> None:
    base_repo, other_repo = f"{repo}-base", f"{repo}-other"
    pusher.push_multiarch(base_repo, "44", architectures=TWO_ARCHES, created=iso(now))
    pusher.push_multiarch(other_repo, "44", architectures=TWO_ARCHES, created=iso(now))
    base = watch(registry, base_repo)
    other = watch(registry, other_repo, base=base)
    image_poll(image=base, now=now)

    image_poll(image=other, now=now)

    state = tag_state(other)
    assert state.base_evidence == BaseEvidence.NONE
    assert state.builds_behind is None
    assert state.base_words == f"no layer or annotation shows it is built on {base.reference}"


def test_digest_record_keeps_each_architectures_layers_for_base_evidence(
    registry: RegistryServer, pusher: OciPusher, repo: str, now: datetime
) -> None:
    pusher.push_multiarch(repo, "44", architectures=TWO_ARCHES, created=iso(now))
    image = watch(registry, repo)

    image_poll(image=image, now=now)

    record = DigestRecord.objects.get(tag__image=image)
    assert json.loads(json.dumps(record.details))["amd64"]["layers"]
