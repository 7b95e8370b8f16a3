"""Hostile text on every page: nothing wider than the viewport, no direction spoofing, no
`javascript:` links, at a phone's width (390 px) and a desktop's (1280 px).

The pages are found by following the links from the overview (one page per URL route), so a
page added or redesigned later is measured too.
"""

import os
from datetime import timedelta
from urllib.parse import quote, urlsplit

import pytest
from django.urls import Resolver404, resolve
from django.utils import timezone

from fedimage.initiative.models import Milestone, Subproject
from fedimage.initiative.services import blocker_file
from fedimage.meetings.services import action_item_add, decision_record, meeting_schedule
from tests.browser.test_blocker_flow import sign_in
from tests.trackers.factories import TrackedIssueFactory
from trackers.models import TrackerSource

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG = "W" * 300  # one 300-character word (200 where a title holds at most 200)
SPOOF = "invoice-\u202egpj.exe"  # shows as "invoice-exe.jpg" where the override is obeyed
SHOWN = "invoice-⟨U+202E⟩gpj.exe"

# Routes a visitor reaches that are not HTML pages, or that change something.
SKIP_ROUTES = ("admin/", "api/", "feeds/", "hooks/", "minutes/", "export", "logout/", "login/<str:")
DEBUG_SHOTS = os.environ.get("HOSTILE_TEXT_SHOTS")  # a folder: screenshots of what failed
MUST_VISIT = {
    "dashboard:overview",
    "dashboard:release-detail",
    "dashboard:milestone-detail",
    "dashboard:subproject-detail",
    "dashboard:blocker-list",
    "dashboard:blocker-detail",
    "dashboard:blocker-create",
    "dashboard:changes",
    "meetings:list",
    "meetings:detail",
    "meetings:present",
    "reports:index",
    "trackers:issue-list",
    "trackers:sync-status",
    "trackers:source-detail",
    "trackers:board",
    "health:grid",
    "health:image",
    "ci:run-list",
    "accounts:profile",
    "notifications:subscriptions",
}

MEASURE = """() => {
  const vw = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > vw + 1 && !el.closest('.sr-only'))
      wide.push(el.tagName + '.' + el.className + ' ' + Math.round(r.right));
  }
  // A scrolling box (.table-wrap) hides what overflows it: a table must fit its box too.
  const scrolled = [...document.querySelectorAll('.table-wrap')]
    .filter(el => el.scrollWidth > el.clientWidth + 1)
    .map(el => 'table-wrap ' + el.scrollWidth + ' in ' + el.clientWidth);
  return {
    scrollWidth: document.documentElement.scrollWidth, viewport: vw,
    wide: wide.slice(0, 5), scrolled,
    rawOverride: [...document.querySelectorAll('body *')].filter(el => [...el.childNodes].some(
      n => n.nodeType === 3 && n.data.includes('\\u202e')) && !el.closest('textarea, option'))
      .map(el => el.tagName + '.' + el.className),
    scriptLinks: document.querySelectorAll('a[href^="javascript:" i]').length,
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
  };
}"""


@pytest.fixture
def hostile(initiative, lead, member):
    """A blocker, a tracker issue and a meeting with hostile titles, on real pages."""
    milestone = Milestone.objects.order_by("pk").first()
    subproject = Subproject.objects.order_by("pk").first()
    source = TrackerSource.objects.get(project="fedora/bootc/tracker")  # from the file
    source.board_name, source.board_columns = LONG[:200], ["To Do", LONG[:200]]
    source.upstream = True  # on the upstream issue list by default
    source.save(update_fields=["board_name", "board_columns", "upstream"])
    for number, title in ((1, LONG), (2, SPOOF)):
        TrackedIssueFactory(
            source=source,
            project="fedora/bootc/tracker",
            number=number,
            title=title,
            labels=[LONG[:120], SPOOF],
            assignees=[LONG[:80]],
            milestone=LONG[:200],
            web_url="javascript:alert(1)" if number == 2 else f"https://gitlab.com/{LONG}",
            board_column="To Do",
        )
    blockers = [
        blocker_file(
            reporter=member,
            title=title,
            description=f"{LONG}\n\n`{LONG}`\n\n[link](javascript:alert(1)) {SPOOF}",
            milestones=[milestone],
            subprojects=[subproject],
            tracking_url=url,
        )
        for title, url in (
            (LONG[:200], "https://gitlab.com/fedora/bootc/tracker/-/issues/1"),
            (SPOOF, "https://gitlab.com/fedora/bootc/tracker/-/issues/2"),
        )
    ]
    meeting = meeting_schedule(
        user=lead, starts_at=timezone.now() + timedelta(hours=1), title=LONG[:200]
    )
    meeting_schedule(user=lead, starts_at=timezone.now() - timedelta(days=7), title=SPOOF)
    decision_record(meeting=meeting, user=lead, text=f"{LONG} {SPOOF}", blocker=blockers[0])
    action_item_add(meeting=meeting, user=lead, owner=member, text=LONG)
    return blockers


def _route(url: str, origin: str) -> str | None:
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" != origin:
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    if any(skip in match.route for skip in SKIP_ROUTES) or not match.view_name:
        return None
    return match.view_name


def test_no_page_is_wider_than_the_viewport_or_spoofed_by_hostile_titles(
    page, live_server, hostile
):
    sign_in(page, live_server, "leader", "pw-lead-123")
    origin = live_server.url
    queue, seen, problems = [f"{origin}/"], set(), []
    visited: set[str] = set()
    while queue:
        url = queue.pop(0)
        response = page.goto(url)
        assert response is not None
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        assert response.status == 200, url
        visited.add(_route(url, origin) or url)
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            before = len(problems)
            got = page.evaluate(MEASURE)
            if got["scrollWidth"] > got["viewport"] or got["wide"] or got["scrolled"]:
                problems.append(
                    f"{url} at {width}: {got['scrollWidth']} px {got['wide']} {got['scrolled']}"
                )
            if got["rawOverride"]:
                problems.append(f"{url}: a raw U+202E is shown in {got['rawOverride']}")
            if len(problems) > before and DEBUG_SHOTS:
                name = urlsplit(url).path.strip("/").replace("/", "-") or "overview"
                page.screenshot(path=f"{DEBUG_SHOTS}/{name}-{width}.png", full_page=True)
            if got["scriptLinks"]:
                problems.append(f"{url}: {got['scriptLinks']} javascript: links")
        for link in got["links"]:
            route = _route(link, origin)
            if route and route not in seen:
                seen.add(route)
                queue.append(link.split("#")[0])
    assert problems == [], "\n".join(problems)
    assert visited >= MUST_VISIT, MUST_VISIT - visited

    # The override is shown as a marker, and searching for what is shown finds the blocker.
    page.goto(f"{origin}/blockers/{hostile[1].pk}/")
    assert SHOWN in page.locator("h1").inner_text()
    page.goto(f"{origin}/blockers/?q={quote(SHOWN)}")
    assert page.locator("table.blockers th a", has_text=SHOWN).count() == 1
