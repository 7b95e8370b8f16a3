"""Subscribable feeds: an Atom feed of blockers and an iCalendar feed of milestones and meetings.

Feed readers and calendar apps fetch without a session, so both feeds show what an anonymous
visitor sees: private blockers never appear.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.http import require_GET

from fedimage.core.text import visible_bidi
from fedimage.initiative.markup import render_markdown
from fedimage.initiative.models import Blocker
from fedimage.initiative.selectors import dated_milestones, recently_changed_blockers
from fedimage.meetings.selectors import meeting_list

FEED_SIZE = 50
# XML 1.0 cannot carry these C0 controls; Django's feed writer refuses them with an error.
_XML_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# iCalendar TEXT allows tab but no other control (RFC 5545 3.3.11); line breaks are escaped first.
_ICAL_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


class BlockerFeed(Feed):
    """The latest filed or changed blockers, newest change first."""

    feed_type = Atom1Feed
    title = "fedimage: blockers of the Fedora Image Mode initiative"
    subtitle = "Blockers filed and changed, newest first."

    def link(self) -> str:
        return reverse("dashboard:blocker-list")

    def items(self):
        return recently_changed_blockers(user=AnonymousUser(), limit=FEED_SIZE)

    # Text saved before control characters were refused must not break the whole feed.
    def item_title(self, item: Blocker) -> str:
        title = visible_bidi(_XML_CONTROL.sub("", item.title))  # U+202E as ⟨U+202E⟩, as pages
        return f"#{item.pk} {title} [{item.get_severity_display()}, {item.get_status_display()}]"

    def item_description(self, item: Blocker) -> str:
        return _XML_CONTROL.sub("", str(render_markdown(item.description)))

    def item_pubdate(self, item: Blocker) -> datetime:
        return item.created_at

    def item_updateddate(self, item: Blocker) -> datetime:
        return item.updated_at

    def item_author_name(self, item: Blocker) -> str:
        return item.reporter.get_username()

    def item_categories(self, item: Blocker) -> list[str]:
        return [item.get_category_display(), item.get_severity_display(), item.get_status_display()]


# iCalendar (RFC 5545), written by hand: the subset a calendar app needs needs no library.


def ical_escape(text: str) -> str:
    escaped = (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )
    return _ICAL_CONTROL.sub("", escaped)


def uid_domain() -> str:
    """The right-hand side of every UID: the site's own host, never the request's."""
    return urlsplit(settings.NOTIFICATIONS_SITE_URL).hostname or "fedimage"


def ical_fold(line: str) -> str:
    """Fold a content line at 75 octets, never inside a UTF-8 sequence (RFC 5545 3.1)."""
    out, current, size = [], "", 0
    for char in line:
        width = len(char.encode())
        if size + width > 75:
            out.append(current)
            current, size = " ", 1
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar_text(*, base_url: str, now: datetime | None = None) -> str:
    now = now or timezone.now()
    stamp = _utc(now)
    host = uid_domain()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//fedimage//Fedora Image Mode initiative//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:Fedora Image Mode initiative",
    ]
    for m in dated_milestones():
        lines += [
            "BEGIN:VEVENT",
            f"UID:milestone-{m.key}@{host}",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{m.target_date:%Y%m%d}",
            f"DTEND;VALUE=DATE:{m.target_date + timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{ical_escape(f'{m.release.name}: {m.title}')}",
            f"DESCRIPTION:{ical_escape(f'Milestone, {m.get_status_display().lower()}.')}",
            f"URL:{base_url}{m.get_absolute_url()}",
            "CATEGORIES:Milestone",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    for meeting in meeting_list():
        lines += [
            "BEGIN:VEVENT",
            f"UID:meeting-{meeting.pk}@{host}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{_utc(meeting.starts_at)}",
            f"DTEND:{_utc(meeting.ends_at)}",
            f"SUMMARY:{ical_escape(meeting.title)}",
            *([f"LOCATION:{ical_escape(meeting.location)}"] if meeting.location else []),
            f"URL:{base_url}{meeting.get_absolute_url()}",
            "CATEGORIES:Meeting",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(ical_fold(line) + "\r\n" for line in lines)


@require_GET
def calendar(request: HttpRequest) -> HttpResponse:
    base_url = request.build_absolute_uri("/").rstrip("/")
    body = calendar_text(base_url=base_url)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="fedimage.ics"'
    return response
