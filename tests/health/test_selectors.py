"""Reads of image health: summaries read only what they show, in constant queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from fedimage.health import selectors
from fedimage.health.models import HealthState
from tests.health.factories import WatchedImageFactory, observed
from tests.initiative.factories import SubprojectFactory

pytestmark = pytest.mark.django_db


def test_summary_partial_renders_for_a_subproject_with_its_evidence() -> None:
    subproject = SubprojectFactory(name="CoreOS")
    image = WatchedImageFactory(name="Fedora CoreOS", subproject=subproject, tags=["stable"])
    observed(image, "stable", state=HealthState.STALE)

    html = render_to_string(
        "health/_summary.html",
        {
            "health_rows": selectors.health_grid(subproject=subproject),
            "health_evidence": selectors.base_evidence_by_subproject().get(subproject.pk),
        },
    )

    assert "Fedora CoreOS" in html
    assert "stable" in html
    assert "Stale" in html


def test_the_summary_embedded_in_other_pages_reads_two_queries_and_no_history() -> None:
    """The overview, release, milestone and subproject pages embed it: images and their tags'
    states, never samples, digest records or the tags' strips."""

    def add_images(n: int) -> None:
        for _ in range(n):
            image = WatchedImageFactory(tags=["44", "45"])
            observed(image, "44")
            observed(image, "45", state=HealthState.STALE)

    add_images(2)
    with CaptureQueriesContext(connection) as few:
        rows = selectors.health_grid()
        render_to_string("health/_summary.html", {"health_rows": rows})
    add_images(6)
    with CaptureQueriesContext(connection) as many:
        rows = selectors.health_grid()
        html = render_to_string("health/_summary.html", {"health_rows": rows})

    assert html.count("Stale") >= 8
    assert len(few) == len(many) == 2
    sql = " ".join(q["sql"] for q in many.captured_queries)
    for unread in ("health_sample", "health_digestrecord", '"recent"', '"arch_builds"'):
        assert unread not in sql


def test_state_counts_cover_every_watched_tag_worst_first() -> None:
    image = WatchedImageFactory(tags=["44", "45", "46"])
    observed(image, "44")
    observed(image, "45", state=HealthState.MISSING)

    counts = [(look.state, n) for look, n in selectors.state_counts()]

    assert counts == [("missing", 1), ("healthy", 1), ("pending", 1)]
