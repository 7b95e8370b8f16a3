"""Logs of a poll: one line per run with its outcome, never one per registry request."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from fedimage.health.tasks import poll_image
from tests.health.factories import WatchedImageFactory
from tests.health.oci import TWO_ARCHES, iso

pytestmark = pytest.mark.django_db


def test_a_poll_logs_one_line_with_its_outcome_and_none_per_request(registry, pusher, repo, caplog):
    pusher.push_multiarch(
        repo, "44", architectures=TWO_ARCHES, created=iso(timezone.now() - timedelta(hours=1))
    )
    image = WatchedImageFactory(key="img", registry=registry.host, repository=repo)
    caplog.set_level(logging.INFO)

    poll_image.apply(args=[image.pk])

    ours = [r for r in caplog.records if not r.name.startswith("celery")]
    assert [r.levelname for r in ours] == ["INFO"], [r.getMessage() for r in ours]
    message = ours[0].getMessage()
    assert message.startswith("health: img: poll done in ")
    assert "1 tag: 1 healthy; 1 changed, 1 new digests, 7 requests" in message
