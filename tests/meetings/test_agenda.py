"""The agenda is computed from recorded history between the previous meeting and this one."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser

from fedimage.health.models import HealthState, StateChange
from fedimage.initiative.models import BlockerStatus, Migration, Milestone, MilestoneStatus, Stage
from fedimage.initiative.services import (
    blocker_file,
    blocker_update,
    migration_set_stage,
    milestone_set_status,
    save_with_history,
)
from fedimage.meetings.agenda import agenda_for
from fedimage.meetings.models import Meeting
from tests.health.factories import WatchedImageFactory
from tests.meetings.conftest import T0, WEEK
from trackers.models import IssueState, TrackedIssue, TrackerKind, TrackerSource

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)


def labels(items) -> list[str]:
    return [item.label for item in items]


def test_first_meeting_covers_the_week_before_it(initiative, clock, member, lead):
    meeting = Meeting.objects.create(starts_at=T0, chair=lead)
    clock.set(T0 - 10 * DAY)
    blocker_file(reporter=member, title="Too old to be news")
    clock.set(T0 - 3 * DAY)
    recent = blocker_file(reporter=member, title="Filed this week")
    clock.set(T0 + DAY)

    agenda = agenda_for(meeting, user=lead)

    assert agenda.previous is None
    assert agenda.since == T0 - 7 * DAY
    assert agenda.until == T0
    assert labels(agenda.blockers_filed) == [f"#{recent.pk} Filed this week"]


def test_agenda_lists_what_moved_between_the_previous_meeting_and_this_one(
    initiative, clock, meetings, member, lead
):
    previous, current = meetings
    clock.set(T0 - 2 * DAY)
    old = blocker_file(reporter=member, title="Konflux release race", severity="minor")
    clock.set(T0 + 2 * DAY)
    blocker_update(blocker=old, user=lead, severity="critical")
    clock.set(T0 + 3 * DAY)
    blocker_update(blocker=old, user=lead, status=BlockerStatus.RESOLVED)
    milestone = Milestone.objects.get(key="production-base-images")
    assert milestone.status == MilestoneStatus.NOT_STARTED
    milestone_set_status(milestone=milestone, user=lead, status=MilestoneStatus.AT_RISK)
    milestone.refresh_from_db()
    milestone.target_date = date(2026, 11, 17)
    save_with_history(milestone, user=lead, reason="schedule slipped")
    migration = Migration.objects.get(subproject__key="iot")
    migration_set_stage(migration=migration, user=lead, stage=Stage.BETA)
    clock.set(T0 + WEEK + DAY)  # after the meeting began: next week's news
    blocker_file(reporter=member, title="Filed during the meeting")

    agenda = agenda_for(current, user=lead)

    assert agenda.previous == previous
    assert (agenda.since, agenda.until) == (T0, T0 + WEEK)
    assert agenda.blockers_filed == []
    assert labels(agenda.blockers_resolved) == [f"#{old.pk} Konflux release race"]
    severity = agenda.blockers_severity[0].move("Severity")
    assert (severity.old, severity.new) == ("Minor", "Critical")
    [slipped] = agenda.milestones
    assert slipped.label == milestone.title
    assert slipped.move("Status").words == "Not started → At risk"
    assert slipped.note == "slipped 2026-10-20 → 2026-11-17"
    [moved] = agenda.migrations
    assert moved.label == "Fedora IoT migration"
    assert moved.move("Stage").new == Stage.BETA.label
    assert moved.note == "moved forward"
    assert agenda.changed_back == []


def test_a_status_changed_and_changed_back_is_listed_apart_not_as_news(
    initiative, clock, meetings, lead
):
    _, current = meetings
    milestone = Milestone.objects.get(key="production-base-images")
    clock.set(T0 + DAY)
    milestone_set_status(milestone=milestone, user=lead, status=MilestoneStatus.AT_RISK)
    clock.set(T0 + 2 * DAY)
    milestone_set_status(milestone=milestone, user=lead, status=MilestoneStatus.NOT_STARTED)

    agenda = agenda_for(current, user=lead)

    assert agenda.milestones == []
    [item] = agenda.changed_back
    assert item.label == milestone.title
    assert item.move("Status").words == "Not started → At risk → Not started"
    assert item.move("Status").changed_back
    assert item.words == ""
    assert item.back_words == "Status: Not started → At risk → Not started"


def section(html: str, heading_id: str) -> str:
    """The agenda list under the heading with this id."""
    return html.split(f'id="{heading_id}"', 1)[1].split("</ul>", 1)[0]


def test_changed_back_moves_are_spelt_out_on_the_pages_in_the_minutes_and_the_api(
    client, initiative, clock, meetings, member, lead
):
    _, current = meetings
    clock.set(T0 - DAY)
    blocker = blocker_file(reporter=member, title="Flaky composefs", severity="major")
    clock.set(T0 + DAY)
    blocker_update(blocker=blocker, user=lead, severity="critical")
    clock.set(T0 + 2 * DAY)
    blocker_update(blocker=blocker, user=lead, severity="major")
    clock.set(T0 + 3 * DAY)
    blocker_update(blocker=blocker, user=lead, status=BlockerStatus.RESOLVED)
    clock.set(T0 + WEEK + DAY)

    agenda = agenda_for(current, user=lead)
    [resolved] = agenda.blockers_resolved
    [back] = agenda.changed_back
    assert resolved.words == "Status: Open → Resolved"
    assert back.back_words == "Severity: Major → Critical → Major"

    label = f"#{blocker.pk} Flaky composefs"
    said = '<span class="agenda-words"><bdi>Severity: Major → Critical → Major</bdi></span>'
    page = client.get(f"/meetings/{current.pk}/").content.decode()
    assert said in section(page, "agenda-changed-back")
    assert "Status:" not in section(page, "agenda-changed-back")
    assert "Status: Open → Resolved" in section(page, "agenda-blockers-resolved")
    present = client.get(f"/meetings/{current.pk}/present/").content.decode()
    assert said in section(present, "s-changed-back")
    text = client.get(f"/meetings/{current.pk}/minutes/text/").content.decode()
    assert f"  * Changed and changed back: {label} (Severity: Major → Critical → Major) <" in text
    assert f"  * Blockers resolved: {label} (Status: Open → Resolved) <" in text
    sections = {
        s["key"]: s for s in client.get(f"/api/meetings/{current.pk}/").json()["agenda"]["sections"]
    }
    [item] = sections["changed-back"]["items"]
    assert (item["label"], item["words"]) == (label, "Severity: Major → Critical → Major")


def test_a_blocker_filed_and_resolved_between_meetings_shows_once_as_filed_and_resolved(
    initiative, clock, meetings, member, lead
):
    _, current = meetings
    clock.set(T0 + DAY)
    blocker = blocker_file(reporter=member, title="Brief outage of the registry")
    clock.set(T0 + 2 * DAY)
    blocker_update(blocker=blocker, user=lead, status=BlockerStatus.RESOLVED)

    agenda = agenda_for(current, user=lead)

    [filed] = agenda.blockers_filed
    assert filed.label == f"#{blocker.pk} Brief outage of the registry"
    assert filed.note == "filed and already resolved"
    assert agenda.blockers_resolved == []
    assert agenda.changed_back == []


def test_a_resolved_blocker_reopened_is_listed_as_reopened(
    initiative, clock, meetings, member, lead
):
    _, current = meetings
    clock.set(T0 - DAY)
    blocker = blocker_file(reporter=member, title="Signing keys rotate")
    blocker_update(blocker=blocker, user=lead, status=BlockerStatus.RESOLVED)
    clock.set(T0 + DAY)
    blocker_update(blocker=blocker, user=lead, status=BlockerStatus.OPEN)

    agenda = agenda_for(current, user=lead)

    assert labels(agenda.blockers_reopened) == [f"#{blocker.pk} Signing keys rotate"]
    assert agenda.blockers_resolved == []


def test_health_incidents_opened_and_recovered_are_netted_per_tag(db, clock, meetings):
    _, current = meetings
    image = WatchedImageFactory(tags=["44", "45", "rawhide"])
    tag44, tag45, rawhide = image.tag_states.order_by("tag")
    healthy, stale, missing = HealthState.HEALTHY, HealthState.STALE, HealthState.MISSING

    def change(tag, old, new, when):
        StateChange.objects.create(tag=tag, at=when, old_state=old, new_state=new, reason="poll")

    change(tag44, healthy, stale, T0 + DAY)  # opened
    change(tag45, missing, healthy, T0 + DAY)  # recovered
    change(rawhide, healthy, stale, T0 + DAY)  # opened and recovered within the week
    change(rawhide, stale, healthy, T0 + 2 * DAY)
    change(tag44, stale, missing, T0 + WEEK + DAY)  # after the meeting
    clock.set(T0 + WEEK + 2 * DAY)

    agenda = agenda_for(current, user=AnonymousUser())

    assert [(h.label, h.words) for h in agenda.health_opened] == [
        (f"{image.reference}:44", "Healthy → Stale")
    ]
    recovered = {h.label: h.words for h in agenda.health_recovered}
    assert recovered == {
        f"{image.reference}:45": "Missing → Healthy",
        f"{image.reference}:rawhide": (
            "Stale → Healthy (opened and recovered since the last meeting)"
        ),
    }


def test_upstream_issue_closed_since_the_last_meeting_is_listed_with_its_blocker(
    initiative, clock, meetings, member
):
    _, current = meetings
    clock.set(T0 - DAY)
    blocker = blocker_file(
        reporter=member,
        title="bootc switch loses /etc changes",
        tracking_url="https://github.com/bootc-dev/bootc/issues/123",
    )
    blocker_file(
        reporter=member,
        title="Unrelated",
        tracking_url="https://github.com/bootc-dev/bootc/issues/124",
    )
    source = TrackerSource.objects.create(
        name="bootc-test",
        kind=TrackerKind.GITHUB,
        base_url="https://api.github.com",
        project="bootc-dev/bootc-test",
        upstream=True,
    )

    def issue(number, state, closed_at):
        return TrackedIssue.objects.create(
            source=source,
            project="bootc-dev/bootc",
            number=number,
            title=f"Upstream {number}",
            state=state,
            web_url=f"https://github.com/bootc-dev/bootc/issues/{number}",
            created_at=T0 - WEEK,
            updated_at=closed_at or T0,
            closed_at=closed_at,
        )

    issue(123, IssueState.CLOSED, T0 + 2 * DAY)
    issue(124, IssueState.OPEN, None)
    clock.set(T0 + WEEK + DAY)

    agenda = agenda_for(current, user=AnonymousUser())

    [closed] = agenda.upstream_closed
    assert closed.reference == "bootc-dev/bootc#123"
    assert closed.blocker_id == blocker.pk
    assert closed.url == "https://github.com/bootc-dev/bootc/issues/123"


def test_private_blockers_stay_off_an_anonymous_agenda(initiative, clock, meetings, member):
    _, current = meetings
    clock.set(T0 + DAY)
    blocker_file(reporter=member, title="Embargoed CVE in the base image", private=True)
    clock.set(T0 + WEEK + DAY)

    assert agenda_for(current, user=AnonymousUser()).blockers_filed == []
    assert len(agenda_for(current, user=member).blockers_filed) == 1


def test_agenda_of_an_upcoming_meeting_runs_until_now(initiative, clock, meetings, member):
    _, current = meetings
    clock.set(T0 + 2 * DAY)
    blocker_file(reporter=member, title="Found while preparing")

    agenda = agenda_for(current, user=member)

    assert agenda.until == T0 + 2 * DAY
    assert len(agenda.blockers_filed) == 1
