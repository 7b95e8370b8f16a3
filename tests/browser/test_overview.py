"""The overview at 1280x900: what needs someone now is above the fold, worst first."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fedimage.initiative.models import Blocker, Milestone, MilestoneStatus, Release
from fedimage.initiative.services import blocker_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_overview_lists_an_overdue_milestone_and_a_critical_blocker_first(
    page, live_server, initiative, member
):
    today = timezone.localdate()
    Milestone.objects.update(status=MilestoneStatus.DONE)
    Release.objects.filter(key="f45").update(released_on=today - timedelta(days=20))
    Milestone.objects.filter(key="production-base-images").update(
        status=MilestoneStatus.ON_TRACK, target_date=today - timedelta(days=25)
    )
    Milestone.objects.filter(key="sig-created").update(
        status=MilestoneStatus.ON_TRACK, target_date=today + timedelta(days=63)
    )
    blocker_file(reporter=member, title="Docs typo", severity="minor")
    critical = blocker_file(
        reporter=member, title="Rawhide base image fails to boot", severity="critical"
    )
    Blocker.objects.filter(pk=critical.pk).update(created_at=timezone.now() - timedelta(days=4))

    page.goto(f"{live_server.url}/")

    expect(page.locator(".hero").get_by_text("Behind the plan")).to_be_visible()
    lines = page.locator("ol.attention > li")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text("Overdue")
    expect(lines.nth(0)).to_contain_text("Production (rolling) base images")
    expect(lines.nth(0)).to_contain_text("due 25 days ago")
    expect(lines.nth(1)).to_contain_text("Critical blocker")
    expect(lines.nth(1)).to_contain_text(f"#{critical.pk} Rawhide base image fails to boot")
    expect(lines.nth(1)).to_contain_text("open 4 days")
    # Above the fold of a 1280x900 laptop, before anything that is fine.
    assert lines.nth(1).bounding_box()["y"] + lines.nth(1).bounding_box()["height"] <= 900
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280

    lines.nth(1).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rawhide base image fails to boot")
