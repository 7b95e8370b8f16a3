"""Meeting mode on a shared 1920x1080 screen: the projector's page, driven by a clicker."""

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fedimage.initiative.services import blocker_file
from fedimage.meetings.models import BlockerReview, Meeting, ReviewState
from fedimage.meetings.services import vote_cast
from tests.browser.test_blocker_flow import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go (FEDIMAGE_SCREENSHOTS keeps them)."""
    folder = Path(os.environ.get("FEDIMAGE_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _font_px(locator) -> float:
    return float(locator.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))


def test_projector_mode_at_1920_by_1080_moves_with_page_down_and_records_a_review(
    browser, live_server, initiative, lead, member, shots
):
    blocker = blocker_file(
        reporter=member, title="Konflux cannot push to quay.io", severity="critical"
    )
    vote_cast(blocker=blocker, user=member, value=1, comment="every push fails")
    meeting = Meeting.objects.create(starts_at=timezone.now() + timedelta(minutes=5), chair=lead)
    meeting.attendees.set([lead, member])
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in(page, live_server, "leader", "pw-lead-123")
        page.goto(f"{live_server.url}/meetings/{meeting.pk}/present/")

        # The whole window: no site navigation, no footer; a high-contrast theme.
        expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
        expect(page.locator("footer")).to_have_count(0)
        colours = page.evaluate(
            "() => [getComputedStyle(document.body).backgroundColor,"
            " getComputedStyle(document.body).color]"
        )
        assert colours == ["rgb(0, 0, 0)", "rgb(255, 255, 255)"]
        counter = page.locator("[data-counter]")
        expect(counter).to_have_text(re.compile(r"^Item 1 of (\d+)$"))
        total = int(counter.inner_text().rsplit(" ", 1)[1])
        progress = page.locator("[data-progress]")
        assert progress.evaluate("p => [p.value, p.max]") == [1, total]

        # A clicker sends PageDown: one item per slide, the progress follows.
        page.keyboard.press("PageDown")
        expect(counter).to_have_text(f"Item 2 of {total}")
        assert progress.evaluate("p => p.value") == 2
        page.keyboard.press("PageDown")
        review = page.get_by_role("heading", name=re.compile("Blocker review: #"))
        expect(review).to_be_visible()
        expect(page.locator("[data-slide]:visible")).to_have_count(1)

        # Readable from the back of the room: the title at least 2.5 times the body's size.
        slide = page.locator("[data-slide]:visible")
        body = _font_px(slide.locator(".tally p").first)
        assert body >= 24
        assert _font_px(review) >= 2.5 * body
        assert page.evaluate("document.documentElement.scrollWidth") <= 1920

        # Its votes and the decision form are on the slide; the review comes back to it.
        expect(slide.get_by_text("every push fails")).to_be_visible()
        slide.get_by_label("Decision").select_option("accepted")
        slide.get_by_label("Reason").fill("blocks the F45 pipeline")
        slide.get_by_role("button", name=f"Record the review of #{blocker.pk}").click()
        expect(page.get_by_text(f"Decision on #{blocker.pk} recorded.")).to_be_visible()
        expect(counter).to_have_text(f"Item 3 of {total}")
        assert BlockerReview.objects.get(blocker=blocker).state == ReviewState.ACCEPTED

        # A clicker's blank-screen key hides the slide, and brings it back.
        page.keyboard.press("b")
        expect(page.get_by_role("heading", name=re.compile("Blocker review: #"))).to_be_hidden()
        page.keyboard.press("b")
        expect(page.get_by_role("heading", name=re.compile("Blocker review: #"))).to_be_visible()

        # PageUp goes back, even from a radio button a lead just clicked; End to the close.
        page.keyboard.press("PageUp")
        expect(counter).to_have_text(f"Item 2 of {total}")
        page.keyboard.press("End")
        expect(page.get_by_role("heading", name="Agreed today")).to_be_visible()
        expect(counter).to_have_text(f"Item {total} of {total}")
        page.screenshot(path=str(shots / "projector-1920x1080.png"))
    finally:
        context.close()
    assert errors == []


def test_the_same_url_works_on_a_laptop_and_a_phone(page, live_server, initiative, lead, shots):
    meeting = Meeting.objects.create(starts_at=timezone.now(), chair=lead)
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}/meetings/{meeting.pk}/present/")
        expect(page.locator("[data-counter]")).to_have_text(re.compile(r"^Item 1 of \d+$"))
        page.keyboard.press("ArrowRight")
        expect(page.locator("[data-counter]")).to_have_text(re.compile(r"^Item 2 of \d+$"))
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(shots / f"projector-{width}x{height}.png"))
