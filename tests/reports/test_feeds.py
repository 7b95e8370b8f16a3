"""The iCalendar and Atom feeds, parsed back."""

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from django.test import Client

from fedimage.initiative.models import Blocker
from fedimage.reports.feeds import ical_fold
from tests.meetings.conftest import T0, WEEK

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def parse_ical(body: bytes) -> list[dict]:
    """A strict reader of RFC 5545's basics: CRLF lines of at most 75 octets, folding, nesting."""
    assert body.endswith(b"\r\n")
    raw = body.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in raw), "lines fold at 75 octets"
    assert b"\n" not in b"".join(raw)
    assert not re.search(rb"[\x00-\x08\x0a-\x1f\x7f]", b"".join(raw)), "no control characters"
    lines: list[str] = []
    for line in (r.decode() for r in raw):
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    stack, events, current = [], [], {}
    for line in lines:
        name, _, value = line.partition(":")
        if name == "BEGIN":
            stack.append(value)
            current = {}
        elif name == "END":
            assert stack.pop() == value
            if value == "VEVENT":
                events.append(current)
        else:
            key, *params = name.split(";")
            current[key] = value
            if params:
                current[key + ";"] = ";".join(params)
    assert stack == []
    assert lines[0] == "BEGIN:VCALENDAR"
    assert "VERSION:2.0" in lines
    return events


def unescape(value: str) -> str:
    return value.replace("\\n", "\n").replace("\\,", ",").replace("\\;", ";").replace("\\\\", "\\")


def test_calendar_feed_lists_milestones_and_meetings(client, held_meeting, lead, settings):
    settings.NOTIFICATIONS_SITE_URL = "https://fedimage.example.org/"
    meeting, _ = held_meeting
    # Saved without validation, as older rows may be: line breaks, a lone CR, C0 controls.
    meeting.title = "Weekly; with,\ncommas\r— and\x02 a\x1f long\ttitle\x7f " + "é" * 40
    meeting.location = "#bootc:fedoraproject.org;\r\nor Jitsi, \x0bif down"
    meeting.save()
    response = client.get("/feeds/calendar.ics")
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    events = parse_ical(response.content)
    by_uid = {e["UID"]: e for e in events}
    for e in events:
        assert {"UID", "DTSTAMP", "DTSTART", "SUMMARY"} <= e.keys()
    milestone = by_uid["milestone-production-base-images@fedimage.example.org"]
    assert milestone["DTSTART;"] == "VALUE=DATE"
    assert milestone["DTSTART"] == "20261020"
    assert unescape(milestone["SUMMARY"]) == "Fedora 45: Production (rolling) base images"
    assert milestone["URL"] == "http://testserver/milestones/production-base-images/"
    held = by_uid[f"meeting-{meeting.pk}@fedimage.example.org"]
    assert datetime.strptime(held["DTSTART"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC) == T0 + WEEK
    assert held["DTEND"] == "20301120T170000Z"
    assert unescape(held["SUMMARY"]) == ("Weekly; with,\ncommas\n— and a long\ttitle " + "é" * 40)
    assert unescape(held["LOCATION"]) == "#bootc:fedoraproject.org;\nor Jitsi, if down"
    # Fetched through another host name, the events keep their UIDs: no duplicates in calendars.
    other = Client(HTTP_HOST="localhost").get("/feeds/calendar.ics")
    assert {e["UID"] for e in parse_ical(other.content)} == by_uid.keys()


def test_folding_never_splits_a_multibyte_character():
    folded = ical_fold("SUMMARY:" + "é" * 80)
    parts = folded.split("\r\n")
    assert all(len(p.encode()) <= 75 for p in parts)
    assert "".join(p.removeprefix(" ") for p in parts) == "SUMMARY:" + "é" * 80


def test_blocker_atom_feed_is_valid_atom_without_private_blockers(client, held_meeting):
    _, blocker = held_meeting
    # Text saved before control characters were refused, with other odd but valid characters.
    Blocker.objects.filter(pk=blocker.pk).update(
        title="bootc [upgrade]\x01 *fails* on\x1f aarch64 <&> é\t🚀",
        description="Seen on\x0b every\x0e board & <b>more</b>\x08.",
    )
    response = client.get("/feeds/blockers.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    # Our own output, parsed back to prove it is well-formed Atom.
    feed = ET.fromstring(response.content)  # noqa: S314
    assert feed.tag == f"{ATOM}feed"
    assert feed.find(f"{ATOM}id") is not None
    assert feed.find(f"{ATOM}updated") is not None
    entries = feed.findall(f"{ATOM}entry")
    titles = [e.find(f"{ATOM}title").text for e in entries]
    assert titles == [f"#{blocker.pk} bootc [upgrade] *fails* on aarch64 <&> é\t🚀 [Major, Open]"]
    entry = entries[0]
    assert entry.find(f"{ATOM}summary").text == "<p>Seen on every board &amp; more.</p>"
    assert entry.find(f"{ATOM}link").get("href") == f"http://testserver/blockers/{blocker.pk}/"
    assert entry.find(f"{ATOM}author/{ATOM}name").text == "stakeholder"
    assert {c.get("term") for c in entry.findall(f"{ATOM}category")} == {"Other", "Major", "Open"}


def test_blocker_atom_feed_shows_a_bidi_override_as_the_pages_do(client, held_meeting):
    _, blocker = held_meeting
    Blocker.objects.filter(pk=blocker.pk).update(title="invoice-\u202egpj.exe")
    feed = ET.fromstring(client.get("/feeds/blockers.atom").content)  # noqa: S314
    (title,) = [e.find(f"{ATOM}title").text for e in feed.findall(f"{ATOM}entry")]
    assert title.startswith(f"#{blocker.pk} invoice-⟨U+202E⟩gpj.exe [")
