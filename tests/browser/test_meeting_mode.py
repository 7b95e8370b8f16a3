import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fedimage.initiative.services import blocker_file
from fedimage.meetings.models import BlockerReview, Decision, Meeting, ReviewState
from tests.browser.test_blocker_flow import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_lead_runs_a_meeting_in_meeting_mode_with_the_keyboard_and_exports_minutes(
    page, live_server, initiative, lead, member
):
    blocker = blocker_file(reporter=member, title="Konflux cannot push to quay.io")
    meeting = Meeting.objects.create(starts_at=timezone.now() + timedelta(minutes=5), chair=lead)
    meeting.attendees.set([lead, member])

    sign_in(page, live_server, "leader", "pw-lead-123")
    page.get_by_role("link", name="Meetings").click()
    page.get_by_role("link", name="Fedora Image Mode weekly meeting").click()
    page.get_by_role("link", name="Meeting mode").click()

    counter = page.locator("[data-counter]")
    expect(counter).to_have_text(re.compile(r"^Item 1 of \d+$"))
    expect(page.get_by_role("heading", name="Fedora Image Mode weekly meeting")).to_be_visible()

    # → moves one item at a time: first what changed, then the blocker review.
    page.keyboard.press("ArrowRight")
    expect(
        page.get_by_role("heading", name="Since the last meeting: Blockers filed")
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Fedora Image Mode weekly meeting")).to_be_hidden()
    page.keyboard.press("j")
    review = page.get_by_role("heading", name=re.compile("Blocker review: #"))
    expect(review).to_be_visible()
    expect(page.get_by_text("Not voted yet: leader, stakeholder")).to_be_visible()
    expect(page).to_have_url(re.compile(r"#item-3$"))

    # Vote, then decide; the page comes back to the same item.
    page.get_by_label("+1").check()
    page.get_by_label("Comment").fill("every push fails")
    page.get_by_role("button", name="Vote").click()
    expect(page.get_by_text("Your vote +1 on")).to_be_visible()
    expect(counter).to_have_text(re.compile(r"^Item 3 of"))
    expect(page.get_by_text("Not voted yet: stakeholder")).to_be_visible()
    page.get_by_label("Decision").select_option("accepted")
    page.get_by_label("Reason").fill("blocks the F45 pipeline")
    page.get_by_role("button", name=f"Record the review of #{blocker.pk}").click()
    expect(page.get_by_text(f"Decision on #{blocker.pk} recorded.")).to_be_visible()
    expect(counter).to_have_text(re.compile(r"^Item 3 of"))
    assert BlockerReview.objects.get(blocker=blocker).state == ReviewState.ACCEPTED

    # ← goes back, End jumps to the close, where the minutes are.
    page.locator("body").click()
    page.keyboard.press("ArrowLeft")
    expect(counter).to_have_text(re.compile(r"^Item 2 of"))
    page.keyboard.press("End")
    expect(page.get_by_role("heading", name="Agreed today")).to_be_visible()
    expect(page.get_by_text("accepted as a blocker (blocks the F45 pipeline;")).to_be_visible()
    # The export is plain text; fetched in the browser's session (a bare text page has no
    # favicon link, and Chromium's /favicon.ico probe would log a 404).
    link = page.get_by_role("link", name="Plain text (Fedora meeting minutes)")
    minutes = page.request.get(live_server.url + link.get_attribute("href"))
    assert minutes.ok
    text = minutes.text()
    assert f"AGREED: #{blocker.pk} Konflux cannot push to quay.io: accepted as a blocker" in text
    assert "People present\n--------------\n* leader\n* stakeholder\n" in text
    matrix = page.get_by_role("link", name="Markdown for Matrix").get_attribute("href")
    assert "**Blocker review**" in page.request.get(live_server.url + matrix).text()
    assert Decision.objects.count() == 1
