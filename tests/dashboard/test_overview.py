"""The overview answers "what needs me now?" first, and its headline tells the plan's truth."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fedimage.health.models import HealthState, TagState
from fedimage.initiative.models import Milestone, MilestoneStatus, Release
from fedimage.initiative.services import blocker_file
from trackers.models import TrackerSource

pytestmark = pytest.mark.django_db


def _plan_behind(today):
    """Fedora 45 shipped 20 days ago; two of its milestones are late, one is at risk."""
    Release.objects.filter(key="f44").update(released_on=today - timedelta(days=200))
    Milestone.objects.filter(release__key="f44").update(status=MilestoneStatus.DONE)
    Release.objects.filter(key="f45").update(released_on=today - timedelta(days=20))
    Milestone.objects.filter(release__key="f45").update(
        status=MilestoneStatus.DONE, target_date=today - timedelta(days=30)
    )
    Milestone.objects.filter(key="production-base-images").update(
        status=MilestoneStatus.ON_TRACK, target_date=today - timedelta(days=40)
    )
    Milestone.objects.filter(key="production-subproject-artifacts").update(
        status=MilestoneStatus.SLIPPED, target_date=today - timedelta(days=10)
    )
    Milestone.objects.filter(key="sig-created").update(
        status=MilestoneStatus.ON_TRACK, target_date=today + timedelta(days=63)
    )
    Milestone.objects.filter(key="permanent-owners").update(
        status=MilestoneStatus.AT_RISK, target_date=today + timedelta(days=90)
    )


def _section(text: str, start: str, end: str) -> str:
    begin = text.index(start)
    return text[begin : text.index(end, begin)]


def test_what_needs_attention_comes_first_worst_and_oldest_first(client, initiative, member):
    today = timezone.localdate()
    _plan_behind(today)
    blocker_file(reporter=member, title="Minor papercut", severity="minor")
    old = blocker_file(reporter=member, title="Old critical blocker", severity="critical")
    old.__class__.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=9))
    blocker_file(reporter=member, title="New critical blocker", severity="critical")
    tag = TagState.objects.filter(image__key="fedora-coreos").order_by("order").first()
    TagState.objects.filter(pk=tag.pk).update(
        state=HealthState.MISSING, reason="the tag is gone", state_since=timezone.now()
    )
    TrackerSource.objects.filter(name="fedora-bootc-tracker").update(
        failing_since=timezone.now() - timedelta(hours=5)
    )

    text = client.get("/").content.decode()

    now = _section(text, "Needs attention now", 'class="headline"')
    order = [
        "Production (rolling) base images",  # overdue 40 days
        "Production-quality (rolling) artifacts",  # overdue 10 days, slipped
        "Old critical blocker",
        "New critical blocker",
        "Permanent owners identified",  # at risk
        f"Fedora CoreOS:{tag.tag}",
        "fedora-bootc-tracker",
    ]
    positions = [now.index(words) for words in order]
    assert positions == sorted(positions), now
    assert "due 40 days ago" in now
    assert "Overdue, slipped" in now
    assert "open 9 days" in now
    assert "failing for 5 hours" in now
    assert "Minor papercut" not in now
    assert "SIG (or similar) created" not in now  # on track: nothing to do now
    # The attention list comes before the release tables and the matrix.
    assert text.index("Needs attention now") < text.index('id="release-f44"')


def test_the_next_milestone_headline_says_its_plan_is_behind(client, initiative):
    today = timezone.localdate()
    _plan_behind(today)
    text = client.get("/").content.decode()
    hero = _section(text, "<h1>", "Needs attention now")
    assert "Behind the plan" in hero
    shipped = (today - timedelta(days=20)).strftime("%-d %B %Y")
    assert f"Fedora 45 shipped on {shipped}; 2 of its milestones are late" in hero
    assert "SIG (or similar) created to own base images and toolchain" in hero


def test_nothing_needs_attention_says_so(client, initiative):
    today = timezone.localdate()
    Milestone.objects.update(status=MilestoneStatus.DONE)
    Release.objects.update(released_on=today - timedelta(days=1))
    text = client.get("/").content.decode()
    hero = _section(text, "<h1>", 'class="headline"')
    assert "Nothing needs attention" in hero
    assert "Behind the plan" not in hero


def test_long_sections_are_summarised_with_a_link(client, initiative):
    text = client.get("/").content.decode()
    assert "Every watched image, tag and architecture →" in text
    assert "Everything that changed this week →" in text
    # The images are counted, not listed one by one.
    assert "quay.io/fedora/fedora-bootc" not in text


def test_the_overview_costs_as_many_queries_however_much_needs_attention(
    client, initiative, member, settings
):
    settings.PAGE_CACHE_SECONDS = 0
    today = timezone.localdate()

    def cost() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/").status_code == 200
        return len(ctx.captured_queries)

    blocker_file(reporter=member, title="Critical 0", severity="critical")
    small = cost()
    _plan_behind(today)
    for n in range(1, 12):
        blocker_file(reporter=member, title=f"Critical {n}", severity="critical")
    TagState.objects.update(state=HealthState.STALE, reason="old")
    TrackerSource.objects.update(failing_since=timezone.now() - timedelta(hours=1))
    text = client.get("/").content.decode()
    assert "All 12 critical blockers →" in text
    assert "unhealthy image tags →" in text
    assert "All 21 failing tracker syncs →" in text
    assert text.count("attention-image") == text.count("attention-sync") == 6
    assert cost() == small


def test_the_blocker_list_sorts_by_severity_then_age_with_other_orders_a_click_away(
    client, initiative, member
):
    minor = blocker_file(reporter=member, title="Minor one", severity="minor")
    newer = blocker_file(reporter=member, title="Newer critical", severity="critical")
    older = blocker_file(reporter=member, title="Older critical", severity="critical")
    older.__class__.objects.filter(pk=older.pk).update(
        created_at=timezone.now() - timedelta(days=3)
    )
    text = client.get("/blockers/").content.decode()
    assert text.index(older.title) < text.index(newer.title) < text.index(minor.title)
    assert 'href="?sort=newest&amp;page=1"' in text
    text = client.get("/blockers/?sort=newest").content.decode()
    assert text.index(newer.title) < text.index(minor.title) < text.index(older.title)


def test_the_matrix_says_what_the_registry_shows_for_every_subproject_with_watched_images(
    client, initiative
):
    text = client.get("/").content.decode()
    matrix = _section(text, 'id="matrix-h"', "</table>")
    rows = {
        name: row
        for row in matrix.split("<tr")[1:]
        for name in ("base-images", "universal-blue", "coreos")
        if f'href="/subprojects/{name}/"' in row
    }
    assert set(rows) == {"base-images", "universal-blue", "coreos"}
    assert "no watched image" not in matrix
    assert "Provides the base images (13 watched images)" in rows["base-images"]
    assert "none declares the base image it is built on" in rows["universal-blue"]
    assert "No registry evidence yet (1 watched image)" in rows["coreos"]


def test_the_cached_overview_shows_a_sync_that_starts_or_stops_failing(client, initiative):
    assert "fedora-bootc-tracker" not in _section(
        client.get("/").content.decode(), "Needs attention now", 'class="headline"'
    )
    source = TrackerSource.objects.get(name="fedora-bootc-tracker")
    source.failing_since = source.last_run_at = timezone.now()
    source.save(update_fields=["last_run_at", "failing_since"])
    text = client.get("/").content.decode()
    assert "fedora-bootc-tracker" in _section(text, "Needs attention now", 'class="headline"')
    source.failing_since = None
    source.save(update_fields=["last_run_at", "failing_since"])
    text = client.get("/").content.decode()
    assert "fedora-bootc-tracker" not in _section(text, "Needs attention now", 'class="headline"')


def test_a_milestone_lists_its_blockers_most_severe_then_oldest_with_other_orders_linked(
    client, initiative, member
):
    milestone = Milestone.objects.get(key="production-base-images")
    newer = blocker_file(
        reporter=member, title="Newer critical", severity="critical", milestones=[milestone]
    )
    older = blocker_file(
        reporter=member, title="Older critical", severity="critical", milestones=[milestone]
    )
    older.__class__.objects.filter(pk=older.pk).update(
        created_at=timezone.now() - timedelta(days=3)
    )
    text = client.get("/milestones/production-base-images/").content.decode()
    assert text.index(older.title) < text.index(newer.title)
    assert 'href="/blockers/?milestone=production-base-images&amp;status=&amp;sort=newest"' in text
