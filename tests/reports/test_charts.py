"""Charts rebuilt from recorded history, drawn as SVG that parses and says what it shows."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser

from fedimage.health.models import DigestRecord, TagState
from fedimage.initiative.models import BlockerStatus, Migration, Milestone, Release, Stage
from fedimage.initiative.services import (
    blocker_file,
    blocker_update,
    migration_set_stage,
    milestone_set_status,
)
from fedimage.meetings import services as meeting_services
from fedimage.meetings.models import Meeting
from fedimage.reports import charts
from tests.meetings.conftest import T0

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"
WEEK = timedelta(weeks=1)


def parse(chart: charts.Chart) -> ET.Element:
    root = ET.fromstring(str(chart.svg))  # noqa: S314 (our own output)
    assert root.tag == f"{SVG}svg"
    assert root.find(f"{SVG}title").text == chart.title
    assert root.find(f"{SVG}desc").text == chart.description
    assert root.get("aria-labelledby") == f"{chart.key}-title {chart.key}-desc"
    return root


def series_values(root: ET.Element) -> dict[str, list[tuple[str, float]]]:
    out = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("data-series"):
            out[g.get("data-series")] = [
                (c.get("data-date"), float(c.get("data-value"))) for c in g.iter(f"{SVG}circle")
            ]
            assert len(g.findall(f"{SVG}polyline")) == 1
    return out


@pytest.fixture
def times():
    """Weekly samples over four weeks ending at T0."""
    return charts.sample_times(end=T0, weeks=4)


def test_open_blockers_per_release_follow_filing_and_closing(
    initiative, clock, member, lead, times
):
    f44 = Milestone.objects.get(key="beta-base-images")
    f45 = Milestone.objects.get(key="production-base-images")
    clock.set(T0 - 4 * WEEK + timedelta(hours=1))
    both = blocker_file(reporter=member, title="Both releases", milestones=[f44, f45])
    clock.set(T0 - 3 * WEEK + timedelta(hours=1))
    only45 = blocker_file(reporter=member, title="Only F45", milestones=[f45])
    clock.set(T0 - 2 * WEEK + timedelta(hours=1))
    blocker_update(blocker=both, user=lead, status=BlockerStatus.RESOLVED)
    clock.set(T0 - WEEK + timedelta(hours=1))
    blocker_update(blocker=both, user=lead, status=BlockerStatus.OPEN)  # reopened
    blocker_update(blocker=only45, user=lead, status=BlockerStatus.WONT_FIX)
    blocker_file(reporter=member, title="Secret", milestones=[f45], private=True)

    releases = list(Release.objects.filter(key__in=["f44", "f45"]))
    chart = charts.open_blockers_chart(user=AnonymousUser(), releases=releases, times=times)
    values = series_values(parse(chart))
    dates = [f"{t:%Y-%m-%d}" for t in times]
    assert values["Fedora 44"] == list(zip(dates, [0, 1, 1, 0, 1], strict=True))
    # The private blocker is not counted for an anonymous visitor.
    assert values["Fedora 45"] == list(zip(dates, [0, 1, 2, 1, 1], strict=True))
    assert chart.table[2] == [dates[2], "1", "2"]
    assert "Fedora 45 0 → 1" in chart.summary

    member_chart = charts.open_blockers_chart(user=member, releases=releases, times=times)
    assert series_values(parse(member_chart))["Fedora 45"][-1] == (dates[-1], 2)


def test_release_burnup_counts_filed_and_closed_to_date(initiative, clock, member, lead, times):
    f45 = Milestone.objects.get(key="production-base-images")
    clock.set(T0 - 3 * WEEK)
    first = blocker_file(reporter=member, title="First", milestones=[f45])
    blocker_file(reporter=member, title="Second", milestones=[f45])
    clock.set(T0 - WEEK - timedelta(days=1))
    blocker_update(blocker=first, user=lead, status=BlockerStatus.RESOLVED)
    chart = charts.blocker_burnup_chart(
        user=member, release=Release.objects.get(key="f45"), times=times
    )
    values = {k: [v for _d, v in pts] for k, pts in series_values(parse(chart)).items()}
    assert values == {
        "Filed to date": [0, 2, 2, 2, 2],
        "Closed or rejected to date": [0, 0, 0, 1, 1],
        "Open": [0, 2, 2, 1, 1],
    }


def test_a_blocker_the_meeting_rejects_stops_counting_as_open_from_then(
    initiative, clock, member, lead, times
):
    f45 = Milestone.objects.get(key="production-base-images")
    clock.set(T0 - 3 * WEEK)
    rejected = blocker_file(reporter=member, title="Not a blocker after all", milestones=[f45])
    blocker_file(reporter=member, title="A real one", milestones=[f45])
    meeting = Meeting.objects.create(starts_at=T0 - 2 * WEEK, chair=lead)
    clock.set(T0 - 2 * WEEK + timedelta(hours=1))
    meeting_services.vote_cast(blocker=rejected, user=member, value=-1)
    meeting_services.review_decide(
        blocker=rejected, meeting=meeting, user=lead, state="rejected", reason="works as designed"
    )
    release = Release.objects.get(key="f45")

    chart = charts.open_blockers_chart(user=member, releases=[release], times=times)
    assert [v for _d, v in series_values(parse(chart))["Fedora 45"]] == [0, 2, 2, 1, 1]
    burnup = charts.blocker_burnup_chart(user=member, release=release, times=times)
    values = {k: [v for _d, v in pts] for k, pts in series_values(parse(burnup)).items()}
    assert values["Closed or rejected to date"] == [0, 0, 0, 1, 1]
    assert values["Open"] == [0, 2, 2, 1, 1]


def test_milestone_progress_follows_status_history(initiative, clock, lead, times):
    milestone = Milestone.objects.get(key="production-pipeline")
    clock.set(T0 - 3 * WEEK)
    milestone_set_status(milestone=milestone, user=lead, status="at_risk")
    clock.set(T0 - WEEK - timedelta(hours=1))
    milestone_set_status(milestone=milestone, user=lead, status="done")
    f45 = Release.objects.get(key="f45")
    initial = {m.status for m in Milestone.objects.filter(release=f45).exclude(pk=milestone.pk)}
    assert initial == {"not_started"}
    chart = charts.milestone_chart(times=times, release=f45)
    values = {k: [v for _d, v in pts] for k, pts in series_values(parse(chart)).items()}
    assert values["Done"] == [0, 0, 0, 1, 1]
    assert values["In trouble"] == [0, 1, 1, 0, 0]
    assert values["Not started"] == [4, 3, 3, 3, 3]
    assert chart.title == "Milestone progress of Fedora 45"


def test_migration_chart_counts_subprojects_at_or_past_each_stage(initiative, clock, lead, times):
    before = {
        stage: Migration.objects.exclude(subproject__kind="base").filter(stage__gte=stage).count()
        for stage in (Stage.BETA, Stage.PRODUCTION)
    }
    coreos = Migration.objects.get(subproject__key="coreos")
    clock.set(T0 - 2 * WEEK)
    migration_set_stage(migration=coreos, user=lead, stage=Stage.PRODUCTION)
    chart = charts.migration_chart(times=times)
    values = {k: [v for _d, v in pts] for k, pts in series_values(parse(chart)).items()}
    beta = before[Stage.BETA] + (0 if coreos.stage >= Stage.BETA else 1)
    assert values["Beta or later"] == [before[Stage.BETA]] * 2 + [beta] * 3
    production = before[Stage.PRODUCTION]
    assert values["Production or later"] == [production] * 2 + [production + 1] * 3


def test_cadence_chart_counts_builds_per_image_and_week(initiative, times):
    tag = TagState.objects.get(image__key="fedora-bootc", tag="rawhide")
    for days in (1, 2, 3, 10, 40):
        DigestRecord.objects.create(
            tag=tag,
            digest=f"sha256:{days:064d}",
            media_type="application/vnd.oci.image.index.v1+json",
            first_seen=T0 - timedelta(days=days),
        )
    tag.digest_seen_at = T0 - timedelta(days=1)
    tag.save(update_fields=["digest_seen_at"])
    chart = charts.cadence_chart(start=times[0], end=times[-1])
    root = parse(chart)
    row = next(g for g in root.iter(f"{SVG}g") if g.get("data-image") == "fedora-bootc")
    cells = row.findall(f"{SVG}rect")
    # T0 is a Wednesday: builds on Tuesday and Monday share a week, Sunday's is the week
    # before, 10 days ago one more; 40 days ago is outside the window.
    assert [int(c.get("data-count")) for c in cells] == [1, 1, 2]
    assert ["fedora-bootc", "4", f"{T0 - timedelta(days=1):%Y-%m-%d}"] in chart.table
    assert "no build at all for" in chart.summary


def test_cadence_chart_stays_small_with_many_builds(initiative, times):
    """A build every few hours on every tag draws no more than one cell per image and week."""
    tags = list(TagState.objects.filter(active=True))
    DigestRecord.objects.bulk_create(
        DigestRecord(
            tag=tag,
            digest=f"sha256:{tag.pk:032d}{k:032d}",
            media_type="application/vnd.oci.image.index.v1+json",
            first_seen=T0 - timedelta(hours=7 * k),
        )
        for tag in tags
        for k in range(300)
    )
    chart = charts.cadence_chart(start=times[0], end=times[-1])
    root = parse(chart)
    images = {t.image_id for t in tags}
    assert len(list(root.iter(f"{SVG}rect"))) <= len(images) * 14
    assert len(str(chart.svg)) < 60_000


def test_charts_page_draws_accessible_svg_without_scripts_or_inline_styles(client, initiative):
    response = client.get("/meetings/charts/")
    assert response.status_code == 200
    text = response.content.decode()
    assert text.count('class="chart-svg"') == 4
    assert "style=" not in text
    assert text.count("<script") == 1  # htmx, from the base template
    for title in (
        "Open blockers per release",
        "Milestone progress",
        "Migration onto the base images",
        "Image build cadence",
    ):
        assert f"<strong>{title}.</strong>" in text
    assert text.count("Data table") == 4
