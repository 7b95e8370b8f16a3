"""Charts of the initiative over time, drawn server-side as inline SVG: no script, no CDN.

History is reconstructed from what is already recorded: django-simple-history's rows of
blockers, milestones and migrations, and the health app's digest records for build cadence.
Each series is read in one query whatever the amount of history. Colours come from the
stylesheet's variables (and `currentColor` without it), and every line also differs by its dash
pattern, so a chart reads in dark mode, in print and without colour. Each chart carries a
<title>, a <desc> and a data table as its text alternative; its legend is HTML (so it wraps).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from fedimage.health.selectors import active_image_keys, builds_per_week, last_build_by_image
from fedimage.initiative.history import (
    blocker_status_history,
    migration_stage_history,
    milestone_status_history,
)
from fedimage.initiative.models import CLOSED_BLOCKER_STATUSES, MilestoneStatus, Release, Stage
from fedimage.initiative.selectors import (
    blocker_release_links,
    release_blocker_ids,
    release_queryset,
)
from fedimage.meetings.selectors import rejected_at

SVG_NS = "http://www.w3.org/2000/svg"
WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 12, 30
DASHES = ["", "6 3", "2 3", "9 3 2 3", "1 2"]
DEFAULT_WEEKS = 12


@dataclass
class Series:
    name: str
    values: list[float]


@dataclass
class Chart:
    key: str
    title: str
    description: str
    svg: SafeString
    summary: str
    columns: list[str]
    table: list[list[str]] = field(default_factory=list)
    # (series name, its dash pattern); the legend item's class is s0, s1, ... in order.
    legend: list[tuple[str, str]] = field(default_factory=list)


def sample_times(*, end: datetime | None = None, weeks: int = DEFAULT_WEEKS) -> list[datetime]:
    """Weekly sampling moments, oldest first, ending at `end` (now)."""
    end = end or timezone.now()
    return [end - timedelta(weeks=k) for k in range(weeks, -1, -1)]


def _nice_max(value: float) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if value <= step * 4:
            return step * 4
    return int(value) + 1


def _svg_root(key: str, title: str, description: str, height: int) -> ET.Element:
    svg = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "viewBox": f"0 0 {WIDTH} {height}",
            "class": "chart-svg",
            "role": "img",
            "aria-labelledby": f"{key}-title {key}-desc",
            "font-size": "12",
            "fill": "currentColor",
        },
    )
    ET.SubElement(svg, "title", {"id": f"{key}-title"}).text = title
    ET.SubElement(svg, "desc", {"id": f"{key}-desc"}).text = description
    return svg


def line_chart(
    *,
    key: str,
    title: str,
    description: str,
    times: list[datetime],
    series: list[Series],
    unit: str,
) -> Chart:
    """Lines over weekly samples, with a dot (and a tooltip) on every sample."""
    svg = _svg_root(key, title, description, HEIGHT)
    top = max((v for s in series for v in s.values), default=0)
    y_max = _nice_max(top)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    steps = max(len(times) - 1, 1)

    def x_at(i: int) -> float:
        return round(LEFT + plot_w * i / steps, 1)

    def y_at(v: float) -> float:
        return round(TOP + plot_h * (1 - v / y_max), 1)

    axes = ET.SubElement(svg, "g", {"class": "chart-axes"})
    for k in range(5):
        value = y_max * k / 4
        y = y_at(value)
        ET.SubElement(
            axes,
            "line",
            {
                "x1": str(LEFT),
                "x2": str(WIDTH - RIGHT),
                "y1": str(y),
                "y2": str(y),
                "class": "chart-grid",
                "stroke": "currentColor",
                "stroke-opacity": "0.25" if k else "0.7",
            },
        )
        label = ET.SubElement(axes, "text", {"x": str(LEFT - 6), "y": str(y + 4)})
        label.set("text-anchor", "end")
        label.text = f"{value:g}"
    label_every = max(1, len(times) // 4)
    for i, when in enumerate(times):
        if i % label_every == 0 or i == len(times) - 1:
            anchor = "start" if i == 0 else "end" if i == len(times) - 1 else "middle"
            text = ET.SubElement(
                axes, "text", {"x": str(x_at(i)), "y": str(HEIGHT - 10), "text-anchor": anchor}
            )
            text.text = f"{timezone.localtime(when):%b %d}"
    for i, s in enumerate(series):
        g = ET.SubElement(svg, "g", {"class": f"chart-series s{i}", "data-series": s.name})
        attrs = {
            "class": "chart-line",
            "fill": "none",
            "stroke": "currentColor",
            "stroke-width": "2.5",
            "stroke-linejoin": "round",
            "points": " ".join(f"{x_at(j)},{y_at(v)}" for j, v in enumerate(s.values)),
        }
        if DASHES[i % len(DASHES)]:
            attrs["stroke-dasharray"] = DASHES[i % len(DASHES)]
        ET.SubElement(g, "polyline", attrs)
        for j, v in enumerate(s.values):
            dot = ET.SubElement(
                g,
                "circle",
                {
                    "class": "chart-dot",
                    "cx": str(x_at(j)),
                    "cy": str(y_at(v)),
                    "r": "3",
                    "data-date": f"{timezone.localtime(times[j]):%Y-%m-%d}",
                    "data-value": f"{v:g}",
                },
            )
            ET.SubElement(
                dot, "title"
            ).text = f"{s.name}: {v:g} {unit}, {timezone.localtime(times[j]):%Y-%m-%d}"
    table = [
        [f"{timezone.localtime(when):%Y-%m-%d}", *(f"{s.values[j]:g}" for s in series)]
        for j, when in enumerate(times)
    ]
    if times:
        parts = [f"{s.name} {s.values[0]:g} → {s.values[-1]:g}" for s in series]
        summary = (
            f"From {timezone.localtime(times[0]):%Y-%m-%d} to "
            f"{timezone.localtime(times[-1]):%Y-%m-%d} ({unit}): " + "; ".join(parts) + "."
        )
    else:
        summary = "No data."
    return Chart(
        key=key,
        title=title,
        description=description,
        svg=mark_safe(ET.tostring(svg, encoding="unicode")),  # noqa: S308 (built by ElementTree, escaped)
        summary=summary,
        columns=["Date", *(s.name for s in series)],
        table=table,
        legend=[(s.name, DASHES[i % len(DASHES)] or "none") for i, s in enumerate(series)],
    )


def _timeline(history: Iterable[tuple[int, datetime, object]]) -> dict[int, list]:
    """Per object id, (moments, values) of its history rows, given in the order written.

    A row dated after a row written later was backdated around (imports, the demo data): the
    later row's date bounds it, so moments never go backwards.
    """
    out: dict[int, list] = defaultdict(lambda: [[], []])
    for obj_id, when, value in history:
        out[obj_id][0].append(when)
        out[obj_id][1].append(value)
    for moments, _values in out.values():
        for i in range(len(moments) - 2, -1, -1):
            moments[i] = min(moments[i], moments[i + 1])
    return out


def _value_at(timeline: list, when: datetime):
    """The value an object had at `when`, or None before its first record."""
    i = bisect_right(timeline[0], when)
    return timeline[1][i - 1] if i else None


def _open_at(timeline: list, rejected: datetime | None, when: datetime) -> bool:
    """Whether a blocker was open at `when`: filed, not closed, not yet rejected."""
    status = _value_at(timeline, when)
    if status is None or status in CLOSED_BLOCKER_STATUSES:
        return False
    return rejected is None or when < rejected


def open_blockers_chart(
    *, user, releases: list[Release], times: list[datetime], key: str = "chart-blockers"
) -> Chart:
    """Open blockers over time, one line per release (a blocker counts for each release)."""
    links = blocker_release_links(user=user, releases=releases)
    timelines = _timeline(blocker_status_history(ids=list(links)))
    rejected = rejected_at(ids=list(links))
    series = []
    for release in releases:
        mine = [i for i, rel in links.items() if release.pk in rel and i in timelines]
        values = [
            sum(1 for i in mine if _open_at(timelines[i], rejected.get(i), when)) for when in times
        ]
        series.append(Series(release.name, values))
    return line_chart(
        key=key,
        title="Open blockers per release",
        description=(
            "Unresolved blockers against each release's milestones, week by week "
            "(a blocker the meeting rejected stops counting when it was rejected)."
        ),
        times=times,
        series=series,
        unit="open blockers",
    )


def blocker_burnup_chart(
    *, user, release: Release, times: list[datetime], key: str = "chart-burnup"
) -> Chart:
    """Blockers against one release: filed and closed to date (burn-up), and still open."""
    ids = release_blocker_ids(user=user, release=release)
    timelines = _timeline(blocker_status_history(ids=ids))
    rejected = rejected_at(ids=list(ids))
    filed, closed, still_open = [], [], []
    for when in times:
        known = [i for i, t in timelines.items() if _value_at(t, when) is not None]
        done = sum(1 for i in known if not _open_at(timelines[i], rejected.get(i), when))
        filed.append(len(known))
        closed.append(done)
        still_open.append(len(known) - done)
    return line_chart(
        key=key,
        title=f"Blockers against {release.name}: burn-up",
        description=(
            f"Blockers against {release.name} filed, and closed or rejected by the meeting, "
            "to date, and still open."
        ),
        times=times,
        series=[
            Series("Filed to date", filed),
            Series("Closed or rejected to date", closed),
            Series("Open", still_open),
        ],
        unit="blockers",
    )


STATUS_GROUPS = [
    ("Done", {MilestoneStatus.DONE}),
    ("On track", {MilestoneStatus.ON_TRACK}),
    ("In trouble", {MilestoneStatus.AT_RISK, MilestoneStatus.BLOCKED, MilestoneStatus.SLIPPED}),
    ("Not started", {MilestoneStatus.NOT_STARTED}),
]


def milestone_chart(
    *, times: list[datetime], release: Release | None = None, key: str = "chart-milestones"
) -> Chart:
    """How many milestones were done, on track, in trouble or not started, week by week."""
    timelines = _timeline(milestone_status_history(release=release))
    series = [Series(name, []) for name, _ in STATUS_GROUPS]
    for when in times:
        states = [_value_at(t, when) for t in timelines.values()]
        for s, (_name, group) in zip(series, STATUS_GROUPS, strict=True):
            s.values.append(sum(1 for state in states if state in group))
    of = f" of {release.name}" if release else ""
    return line_chart(
        key=key,
        title=f"Milestone progress{of}",
        description=f"Milestones{of} by status, week by week, from their recorded history.",
        times=times,
        series=series,
        unit="milestones",
    )


def migration_chart(*, times: list[datetime], key: str = "chart-migration") -> Chart:
    """The migration matrix over time: subprojects that had reached each stage."""
    timelines = _timeline(migration_stage_history())
    wanted = [s for s in Stage if s != Stage.OWN_BASE]
    names = {Stage.DEVELOPMENT: "Development", Stage.BETA: "Beta", Stage.PRODUCTION: "Production"}
    series = [Series(f"{names[s]} or later", []) for s in wanted]
    for when in times:
        stages = [_value_at(t, when) for t in timelines.values()]
        for s, stage in zip(series, wanted, strict=True):
            s.values.append(sum(1 for v in stages if v is not None and v >= stage))
    return line_chart(
        key=key,
        title="Migration onto the base images",
        description="Subprojects (other than the base images) that had reached each migration "
        "stage, week by week.",
        times=times,
        series=series,
        unit="subprojects",
    )


def cadence_chart(*, start: datetime, end: datetime, key: str = "chart-cadence") -> Chart:
    """Image builds per week: one row per watched image, one cell per calendar week.

    Counted by the database (builds per image and week), so the chart is as large as the list
    of images whatever the number of tags and builds: a year of data draws what a day does.
    """
    images = active_image_keys()
    first_week = _week_start(start)
    weeks = [first_week + timedelta(weeks=k) for k in range((end - first_week).days // 7 + 1)]
    counts: dict[tuple[int, datetime], int] = {}
    for image_id, week, n in builds_per_week(start=start, end=end):
        counts[image_id, _week_start(week)] = n
    last_builds = last_build_by_image()
    row_h = 18
    height = TOP + 22 + row_h * max(len(images), 1) + BOTTOM
    title = "Image build cadence"
    description = (
        f"Builds (new digests) of every watched image per week from "
        f"{timezone.localtime(start):%Y-%m-%d} to {timezone.localtime(end):%Y-%m-%d}; "
        "the darker a cell, the more builds that week."
    )
    svg = _svg_root(key, title, description, height)
    label_w = 190
    cell_w = (WIDTH - RIGHT - label_w) / max(len(weeks), 1)
    top_count = max(counts.values(), default=0)
    axes = ET.SubElement(svg, "g", {"class": "chart-axes"})
    for k, week in enumerate(weeks):
        if k % 2 == 0:
            x = round(label_w + cell_w * k, 1)
            text = ET.SubElement(axes, "text", {"x": str(x), "y": str(TOP + 10)})
            text.text = f"{timezone.localtime(week):%b %d}"
    table = []
    for r, (image_id, image_key) in enumerate(images):
        y = TOP + 22 + row_h * r
        g = ET.SubElement(svg, "g", {"class": "chart-row", "data-image": image_key})
        row = [counts.get((image_id, week), 0) for week in weeks]
        label = ET.SubElement(g, "text", {"x": "8", "y": str(y + 12), "font-size": "11"})
        label.text = f"{image_key[:26]} ({sum(row)})"
        for k, n in enumerate(row):
            if not n:
                continue
            ET.SubElement(
                g,
                "rect",
                {
                    "class": "chart-cell",
                    "x": str(round(label_w + cell_w * k + 1, 1)),
                    "y": str(y + 2),
                    "width": str(round(cell_w - 2, 1)),
                    "height": str(row_h - 4),
                    "fill-opacity": str(round(0.25 + 0.75 * n / top_count, 2)),
                    "data-week": f"{timezone.localtime(weeks[k]):%Y-%m-%d}",
                    "data-count": str(n),
                },
            )
        last = last_builds.get(image_id)
        table.append(
            [image_key, str(sum(row)), f"{timezone.localtime(last):%Y-%m-%d}" if last else "—"]
        )
    if not images:
        ET.SubElement(svg, "text", {"x": "8", "y": str(TOP + 40)}).text = "No watched image."
    silent = [row[0] for row in table if row[1] == "0"]
    summary = f"{sum(int(row[1]) for row in table)} build(s) across {len(images)} image(s)"
    summary += f"; no build at all for {', '.join(silent)}." if silent else "."
    return Chart(
        key=key,
        title=title,
        description=description,
        svg=mark_safe(ET.tostring(svg, encoding="unicode")),  # noqa: S308 (built by ElementTree, escaped)
        summary=summary,
        columns=["Image", "Builds in the window", "Last build"],
        table=table,
    )


def _week_start(moment: datetime) -> datetime:
    """Midnight of the Monday starting the (local) calendar week of `moment`."""
    local = timezone.localtime(moment)
    monday = local - timedelta(days=local.weekday())
    return monday.replace(hour=0, minute=0, second=0, microsecond=0)


def initiative_charts(*, user, weeks: int = DEFAULT_WEEKS, end: datetime | None = None):
    """Every chart of the charts page."""
    times = sample_times(end=end, weeks=weeks)
    releases = list(release_queryset())
    return [
        open_blockers_chart(user=user, releases=releases, times=times),
        milestone_chart(times=times),
        migration_chart(times=times),
        cadence_chart(start=times[0], end=times[-1]),
    ]


def release_charts(*, user, release: Release, weeks: int = DEFAULT_WEEKS, end=None):
    """The charts of one release's readiness report."""
    times = sample_times(end=end, weeks=weeks)
    return [
        blocker_burnup_chart(user=user, release=release, times=times),
        milestone_chart(times=times, release=release),
    ]
