"""Each page costs the same number of SQL queries whatever the amount of data behind it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fedimage.initiative.models import BlockerStatus, Milestone, Subproject
from fedimage.initiative.services import blocker_file, blocker_update
from tests.accounts.factories import UserFactory
from tests.initiative.factories import MilestoneFactory, SubprojectFactory

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/releases/f45/",
    "/milestones/production-base-images/",
    "/subprojects/base-images/",
    "/blockers/",
    "/blockers/?status=&q=race",
    "/changes/",
    "/api/blockers/",
    "/api/milestones/",
    "/api/subprojects/",
    "/api/migrations/",
]


def grow(n: int, lead) -> None:
    """Add n blockers (each edited twice), milestones and subprojects, linked to the pages."""
    milestone = Milestone.objects.get(key="production-base-images")
    subproject = Subproject.objects.get(key="base-images")
    release = milestone.release
    for i in range(n):
        reporter = UserFactory()
        extra_m = MilestoneFactory(release=release)
        extra_s = SubprojectFactory()
        blocker = blocker_file(
            reporter=reporter,
            title=f"Release race number {i}",
            milestones=[milestone, extra_m],
            subprojects=[subproject, extra_s],
            owner=reporter,
        )
        blocker_update(blocker=blocker, user=lead, status=BlockerStatus.IN_PROGRESS)
        blocker_update(blocker=blocker, user=lead, severity="critical", milestones=[milestone])


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "lead"])
def test_pages_issue_a_constant_number_of_queries(client, initiative, lead, signed_in):
    if signed_in:
        client.force_login(lead)
    grow(2, lead)
    small = {url: count_queries(client, url) for url in PAGES}
    grow(12, lead)
    large = {url: count_queries(client, url) for url in PAGES}
    assert large == small
    blocker_page = (
        f"/blockers/{Milestone.objects.get(key='production-base-images').blockers.first().pk}/"
    )
    assert count_queries(client, blocker_page) <= 20
