"""axe-core (tests/browser/assets/axe-core) on every main page: no serious or critical issue.

The engine is evaluated through the DevTools protocol, so the pages' Content-Security-Policy
stays in force. Each page is checked signed in as a lead (who sees every form) at 1280x900.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from fedimage.initiative.services import blocker_file
from fedimage.meetings.models import Meeting
from fedimage.meetings.services import vote_cast
from tests.browser.test_blocker_flow import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "assets" / "axe-core" / "axe.min.js"
RUN_AXE = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
  });
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => `${v.id} (${v.impact}): ${v.help} — `
      + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "));
}"""


def _contrast(page, selector: str) -> float:
    """The contrast of an element's focus ring against the background behind it."""
    return page.evaluate(
        """(selector) => {
      const el = document.querySelector(selector);
      const rgb = s => s.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
      const lum = c => {
        const [r, g, b] = c.map(v => {
          v /= 255;
          return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
      };
      let bg = el.parentElement;
      const clear = e => getComputedStyle(e).backgroundColor === "rgba(0, 0, 0, 0)";
      while (bg && clear(bg)) bg = bg.parentElement;
      const a = lum(rgb(getComputedStyle(el).outlineColor));
      const b = lum(rgb(getComputedStyle(bg || document.body).backgroundColor));
      return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    }""",
        selector,
    )


def test_every_main_page_has_no_serious_or_critical_accessibility_violation(
    page, live_server, initiative, lead, member
):
    blocker = blocker_file(reporter=member, title="Konflux cannot push", severity="critical")
    vote_cast(blocker=blocker, user=member, value=1, comment="yes")
    meeting = Meeting.objects.create(starts_at=timezone.now() + timedelta(hours=1), chair=lead)
    meeting.attendees.set([lead, member])
    sign_in(page, live_server, "leader", "pw-lead-123")
    pages = [
        "/",
        "/releases/f45/",
        "/milestones/production-base-images/",
        "/subprojects/coreos/",
        "/blockers/",
        f"/blockers/{blocker.pk}/",
        "/blockers/new/",
        "/changes/",
        "/health/",
        "/health/images/fedora-bootc/",
        "/ci/",
        "/trackers/",
        "/trackers/issues/",
        "/meetings/",
        f"/meetings/{meeting.pk}/",
        f"/meetings/{meeting.pk}/present/",
        "/meetings/reports/",
        "/meetings/charts/",
        "/notifications/",
        "/accounts/profile/",
    ]
    axe = AXE.read_text()
    found = {}
    for url in pages:
        response = page.goto(f"{live_server.url}{url}")
        assert response.ok, url
        page.evaluate(axe)
        violations = page.evaluate(RUN_AXE)
        if violations:
            found[url] = violations
    assert found == {}


def test_focus_rings_stand_out_three_to_one_in_the_header_and_the_page(
    page, live_server, initiative
):
    page.goto(f"{live_server.url}/")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the brand, in the dark header
    assert page.evaluate("document.activeElement.classList.contains('brand')")
    assert _contrast(page, ".brand") >= 3
    page.locator("main a").first.focus()
    assert _contrast(page, "main a") >= 3
