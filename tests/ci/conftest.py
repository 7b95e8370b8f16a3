"""Fixtures of the CI results tests: the fake GitLab holding the report project, a registry."""

# The other apps' fixtures are imported to be found by name: F401 and F811 are expected here.
# ruff: noqa: F401, F811

import pytest
from django.utils import timezone

from fedimage.health.services import image_poll
from tests.ci.reports import PROJECT
from tests.health.conftest import pusher, registry, repo
from tests.health.factories import WatchedImageFactory
from tests.initiative.factories import SubprojectFactory
from tests.trackers.conftest import fake_gitlab, make_source, small_pages
from trackers.services import source_sync

FOUR = ["amd64", "arm64", "ppc64le", "s390x"]


@pytest.fixture
def report(settings, make_source, fake_gitlab):
    """The report project on the fake GitLab, configured as the CI results' source."""
    fake_gitlab.add_project(PROJECT)
    source = make_source(fake_gitlab, PROJECT, name="bootc-workflow-report")
    settings.CI_REPORT_SOURCE = source.name
    settings.CI_FAILED_RUN_OPENS_BLOCKER = False

    def post(title: str, body: str, **fields):
        issue = fake_gitlab.add_issue(PROJECT, title=title, body=body, **fields)
        source_sync(source=source)
        return issue

    post.source = source
    return post


@pytest.fixture
def image(registry, pusher, repo):
    """A watched image with two tags, polled from the real registry (four arches expected)."""
    now = timezone.now()
    pusher.push_multiarch(repo, "44", architectures=tuple(FOUR), created=now.isoformat())
    pusher.push_multiarch(repo, "45", architectures=("amd64",), created=now.isoformat())
    image = WatchedImageFactory(
        registry=registry.host,
        repository=repo,
        tags=["44", "45"],
        expected_arches=FOUR,
        subproject=SubprojectFactory(key="base-images", name="Base images"),
    )
    image_poll(image=image, now=now)
    return image
