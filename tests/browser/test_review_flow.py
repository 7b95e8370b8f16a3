"""A lead runs a full blocker review in the browser: votes, a refusal, a rejection, an
acceptance; the overview's open-blocker count drops by the rejected one."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fedimage.initiative.models import ReviewState
from fedimage.initiative.services import blocker_file
from fedimage.meetings.models import Meeting
from fedimage.meetings.services import vote_cast
from tests.browser.test_blocker_flow import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_count(page, live_server) -> int:
    page.goto(f"{live_server.url}/")
    link = page.get_by_role("link", name=re.compile(r"^\d+ open blockers?$"))
    return int(link.inner_text().split()[0])


def test_a_full_review_with_votes_and_a_rejection_drops_the_open_count(
    page, live_server, initiative, lead, member
):
    wrong = blocker_file(reporter=member, title="Docs site renders dark mode badly")
    real = blocker_file(
        reporter=member, title="bootc upgrade fails on aarch64", severity="critical"
    )
    meeting = Meeting.objects.create(starts_at=timezone.now() + timedelta(minutes=5), chair=lead)
    meeting.attendees.set([lead, member])
    vote_cast(blocker=real, user=member, value=1, comment="every arm board")

    sign_in(page, live_server, "leader", "pw-lead-123")
    before = open_count(page, live_server)
    assert before >= 2

    page.goto(f"{live_server.url}{meeting.get_absolute_url()}")
    # The most severe comes first in the review.
    titles = page.locator("article.review h3").all_inner_texts()
    assert titles[:2] == [f"#{real.pk} {real.title}", f"#{wrong.pk} {wrong.title}"]

    review = page.locator(f"#review-{wrong.pk}")
    # No decision is chosen for the lead, and without a vote the meeting cannot reject it.
    expect(review.get_by_label("Decision")).to_have_value("")
    review.get_by_label("Decision").select_option("rejected")
    review.get_by_label("Reason").fill("a documentation theme bug, not the initiative's")
    review.get_by_role("button", name=f"Record the review of #{wrong.pk}").click()
    expect(page.get_by_text(f"Nobody has voted on #{wrong.pk}")).to_be_visible()
    assert open_count(page, live_server) == before
    page.goto(f"{live_server.url}{meeting.get_absolute_url()}")

    # The lead votes -1, then the meeting rejects it.
    review = page.locator(f"#review-{wrong.pk}")
    review.get_by_label("-1").check()
    review.get_by_label("Comment").fill("not ours")
    review.get_by_role("button", name="Vote").click()
    expect(page.get_by_text(f"Your vote -1 on #{wrong.pk} is recorded.")).to_be_visible()
    review = page.locator(f"#review-{wrong.pk}")
    expect(review.get_by_text("Not voted yet: stakeholder")).to_be_visible()
    review.get_by_label("Decision").select_option("rejected")
    review.get_by_label("Reason").fill("a documentation theme bug, not the initiative's")
    review.get_by_role("button", name=f"Record the review of #{wrong.pk}").click()
    expect(page.get_by_text(f"Decision on #{wrong.pk} recorded.")).to_be_visible()

    # The other: a +1 already, the lead adds one and the meeting accepts it.
    review = page.locator(f"#review-{real.pk}")
    review.get_by_label("+1").check()
    review.get_by_role("button", name="Vote").click()
    review = page.locator(f"#review-{real.pk}")
    expect(review.get_by_text("Every attendee has voted.")).to_be_visible()
    review.get_by_label("Decision").select_option("accepted")
    review.get_by_label("Reason").fill("F45 final criterion")
    review.get_by_role("button", name=f"Record the review of #{real.pk}").click()
    expect(page.get_by_text(f"Decision on #{real.pk} recorded.")).to_be_visible()
    expect(
        page.get_by_text("rejected as a blocker (a documentation theme bug").first
    ).to_be_visible()

    wrong.refresh_from_db()
    real.refresh_from_db()
    assert (wrong.review_state, real.review_state) == (ReviewState.REJECTED, ReviewState.ACCEPTED)
    assert open_count(page, live_server) == before - 1

    # Marked where blockers are listed; the rejected one with its decision on its page.
    page.goto(f"{live_server.url}/blockers/")
    expect(page.get_by_text("accepted blocker").first).to_be_visible()
    expect(page.get_by_role("link", name=f"#{wrong.pk} {wrong.title}")).to_have_count(0)
    page.goto(f"{live_server.url}{wrong.get_absolute_url()}")
    expect(page.get_by_text("rejected by the meeting").first).to_be_visible()
    expect(page.get_by_text("voted -1 on").first).to_be_visible()
    page.goto(f"{live_server.url}/changes/")
    expect(page.get_by_text("decided at the meeting of").first).to_be_visible()
