"""Minutes in three formats, parsed back."""

import re

import pytest

from fedimage.meetings import services

pytestmark = pytest.mark.django_db


def minutes(client, meeting, fmt) -> str:
    response = client.get(f"/meetings/{meeting.pk}/minutes/{fmt}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    return response.content.decode()


def test_plain_text_minutes_follow_fedora_meeting_minutes(client, held_meeting):
    meeting, blocker = held_meeting
    text = minutes(client, meeting, "text")
    assert text.startswith("=" * 40 + "\nFedora Image Mode weekly meeting\n")
    assert "Meeting started by leader at 2030-11-20 16:00 UTC." in text
    summary = text.split("Meeting summary\n---------------\n")[1]
    assert "* Roll call\n  * leader, stakeholder\n" in summary
    assert f"  * Blockers filed: #{blocker.pk} bootc [upgrade] *fails* on aarch64" in summary
    assert (
        f"  * AGREED: #{blocker.pk} bootc [upgrade] *fails* on aarch64: accepted as a blocker "
        "(F45 final criterion; votes +1: 2, 0: 0, -1: 0)" in summary
    )
    assert "  * AGREED: Next meeting in two weeks" in summary
    assert "  * ACTION: stakeholder to file it upstream (due 2030-12-01)" in summary
    by_person = text.split("Action items, by person\n-----------------------\n")[1]
    assert by_person.startswith(
        "* leader\n  * leader to ping releng\n* stakeholder\n  * stakeholder to file it upstream"
    )
    assert "People present\n--------------\n* leader\n* stakeholder\n" in text
    assert "Embargoed" not in text


# Typed text as services store it: line breaks that would open a heading and a list, a room ping.
UNRULY = "Ask @room\n# for testers\r\n- on aarch64"


def test_matrix_minutes_escape_markdown_and_link_blockers(client, held_meeting, lead):
    meeting, blocker = held_meeting
    services.decision_record(meeting=meeting, user=lead, text=UNRULY)
    meeting.notes = "Quiet week. @Room, see you."
    meeting.save()
    text = minutes(client, meeting, "matrix")
    assert text.startswith("**Fedora Image Mode weekly meeting: minutes, 2030-11-20 16:00 UTC**")
    assert "Chair: leader · Present: leader, stakeholder" in text
    assert f"- [\\#{blocker.pk} bootc \\[upgrade\\] \\*fails\\* on aarch64: Accepted" in text
    assert f"](http://testserver/blockers/{blocker.pk}/)" in text
    assert "- ACTION: stakeholder to file it upstream (due 2030-12-01)" in text
    assert "- (carried, open) leader to ping releng" in text
    assert "- AGREED: Ask @\u2060room \\# for testers - on aarch64\n" in text
    assert "Quiet week. @\u2060Room, see you." in text
    assert not re.search("@room", text, re.IGNORECASE)
    assert not re.search(r"^(#|- on)", text, re.MULTILINE)
    assert "Embargoed" not in text


def test_plain_text_minutes_keep_each_entry_on_its_line(client, held_meeting, lead, member):
    meeting, _ = held_meeting
    services.decision_record(meeting=meeting, user=lead, text=UNRULY)
    services.action_item_add(meeting=meeting, user=lead, owner=member, text="a\nb\rc")
    text = minutes(client, meeting, "text")
    assert "  * AGREED: Ask @room # for testers - on aarch64\n" in text
    assert "  * ACTION: stakeholder to a b c\n" in text
    assert "* stakeholder to a b c\n" in text
    assert "\r" not in text
    assert not re.search(r"^(#|- on|b|c)", text, re.MULTILINE)


def test_discourse_minutes_have_headings_and_a_task_list(client, held_meeting):
    meeting, blocker = held_meeting
    text = minutes(client, meeting, "discourse")
    assert text.startswith("# Fedora Image Mode weekly meeting: 2030-11-20 16:00 UTC\n")
    assert "## Blocker review" in text
    assert f"#{blocker.pk} bootc \\[upgrade\\] \\*fails\\* on aarch64: Accepted" in text
    assert "(+1: 2, 0: 0, -1: 0; stakeholder +1, leader +1)" in text
    assert "- [ ] @stakeholder file it upstream (due 2030-12-01)" in text
    assert "## Notes\n\nQuiet week." in text
    assert "Embargoed" not in text


def test_minutes_download_and_unknown_formats(client, held_meeting):
    meeting, _ = held_meeting
    response = client.get(f"/meetings/{meeting.pk}/minutes/discourse/?download=1")
    assert response["Content-Disposition"] == (
        'attachment; filename="minutes-2030-11-20-discourse.md"'
    )
    assert client.get(f"/meetings/{meeting.pk}/minutes/pdf/").status_code == 404
