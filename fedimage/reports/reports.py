"""Reports to share: what the initiative needs from each upstream, and each release's readiness.

A report is a list of sections of uniform rows, so its page, its Markdown and CSV exports and
its API all show the same data. Rows are read as the given user sees them: private blockers and
confidential issues never reach an anonymous visitor, nor an export made anonymously.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from fedimage.core.text import http_url, visible
from fedimage.health.selectors import health_grid
from fedimage.health.states import HealthState, look
from fedimage.initiative.looks import BLOCKER_STATUS, MILESTONE_STATUS, VERDICT
from fedimage.initiative.models import Blocker, Category, MilestoneStatus, Release, Severity
from fedimage.initiative.selectors import (
    blocker_list,
    migration_matrix,
    severity_sort_key,
)
from fedimage.meetings.minutes import md
from fedimage.reports import selectors
from trackers.models import IssueState, TrackedIssue
from trackers.selectors import milestones_with_progress
from trackers.status import ISSUE_BADGES


@dataclass(frozen=True)
class Upstream:
    """An upstream project family the initiative depends on."""

    key: str
    name: str
    # Tracker project paths belonging to the family: "owner/" matches a whole namespace.
    projects: tuple[str, ...]
    # Blockers filed under this category belong to the family whatever their tracking URL.
    category: str

    def project_q(self, field_name: str) -> Q:
        q = Q(**{f"{field_name}__in": []})  # matches nothing, whatever is added
        for p in self.projects:
            lookup = "startswith" if p.endswith("/") else "exact"
            q |= Q(**{f"{field_name}__{lookup}": p})
        return q


# The upstream families reported on. Tracker sources (and blocker tracking URLs) are grouped by
# their project path: bootc is developed under bootc-dev and built by osbuild's image tools;
# Konflux lives under konflux-ci. Add a family here to get its report, export and API entry.
UPSTREAMS: dict[str, Upstream] = {
    u.key: u
    for u in (
        Upstream("bootc", "bootc", ("bootc-dev/", "osbuild/", "containers/bootc"), Category.BOOTC),
        Upstream("konflux", "Konflux", ("konflux-ci/",), Category.KONFLUX),
    )
}

# Tracker labels saying what kind of request an issue is (GitHub, GitLab and Prow conventions).
BUG_LABELS = frozenset({"bug", "kind/bug", "type/bug", "type::bug", "type: bug", "regression"})
FEATURE_LABELS = frozenset(
    {
        "enhancement",
        "feature",
        "feature request",
        "kind/feature",
        "kind/enhancement",
        "type/feature",
        "type::feature",
        "type: feature",
        "type/enhancement",
    }
)


def issue_kind(labels: list[str]) -> str:
    """'bug', 'feature' or '' from an issue's labels (case-insensitive; a bug label wins)."""
    lowered = {str(label).strip().lower() for label in labels}
    if lowered & BUG_LABELS:
        return "bug"
    if lowered & FEATURE_LABELS:
        return "feature"
    return ""


@dataclass(frozen=True)
class Row:
    """One line of a report, the same on its page, in its exports and in the API."""

    reference: str
    title: str
    state: str  # in words
    state_code: str  # a class of the shared stylesheet's badges
    detail: str = ""
    upstream_url: str = ""
    page_url: str = ""
    progress: int | None = None
    private: bool = False


@dataclass
class Section:
    key: str
    title: str
    empty: str
    rows: list[Row] = field(default_factory=list)


@dataclass
class Report:
    kind: str  # upstream | release
    key: str
    title: str
    summary: str
    generated_at: datetime
    sections: list[Section]
    # The viewer could see private blockers or confidential issues (they may be in it).
    members_view: bool = False

    @property
    def slug(self) -> str:
        return f"{self.kind}-{self.key}-{self.generated_at:%Y-%m-%d}"


def _blocker_row(b: Blocker, *, upstream_state: str = "") -> Row:
    milestones = ", ".join(m.title for m in b.milestones.all())
    detail = b.get_severity_display()
    if milestones:
        detail += f" · against {milestones}"
    if b.is_accepted:
        detail += " · accepted blocker"
    state = b.get_status_display()
    if upstream_state:
        state += f" (upstream issue {upstream_state})"
    return Row(
        reference=f"#{b.pk}",
        title=b.title,
        state=state,
        state_code=BLOCKER_STATUS[b.status].css_class,
        detail=detail,
        upstream_url=http_url(b.tracking_url),  # pages, Markdown and CSV link http(s) only
        page_url=b.get_absolute_url(),
        private=b.private,
    )


def _issue_row(issue: TrackedIssue) -> Row:
    state = IssueState(issue.state).label
    if issue.moved_to:
        state += " (moved)"
    detail = ", ".join(map(str, issue.labels))
    return Row(
        reference=issue.reference,
        title=issue.title,
        state=state,
        state_code=ISSUE_BADGES[issue.state][1],
        detail=detail,
        upstream_url=http_url(issue.web_url),
        private=issue.confidential,
    )


def upstream_report(*, key: str, user) -> Report:
    """What the initiative needs from one upstream family: blockers, bugs, feature requests."""
    upstream = UPSTREAMS.get(key)
    if upstream is None:
        raise Http404("No such upstream project.")
    blockers = selectors.upstream_blockers(user=user, upstream=upstream)
    issues = selectors.upstream_issues(user=user, upstream=upstream)
    states = {(i.project, i.number): IssueState(i.state).label.lower() for i in issues}
    wanted = [(b.tracking_project, b.tracking_number) for b in blockers if b.tracking_number]
    # Blockers may track an issue of a source outside the family's listed projects.
    missing = [pair for pair in wanted if pair not in states]
    states.update(selectors.issue_states(user=user, pairs=missing))
    blocker_rows = [
        _blocker_row(b, upstream_state=states.get((b.tracking_project, b.tracking_number), ""))
        for b in blockers
    ]
    by_kind: dict[str, list[TrackedIssue]] = {"bug": [], "feature": []}
    for issue in issues:
        by_kind.get(issue_kind(issue.labels), []).append(issue)
    bugs = Section(
        "bugs", "Bug reports", "No tracked bug report.", [_issue_row(i) for i in by_kind["bug"]]
    )
    features = Section(
        "features",
        "Feature requests",
        "No tracked feature request.",
        [_issue_row(i) for i in by_kind["feature"]],
    )
    open_bugs = sum(1 for i in by_kind["bug"] if i.state == IssueState.OPEN)
    open_features = sum(1 for i in by_kind["feature"] if i.state == IssueState.OPEN)
    summary = (
        f"{len(blocker_rows)} unresolved blocker(s), {open_bugs} open bug report(s) and "
        f"{open_features} open feature request(s) the Fedora Image Mode initiative needs "
        f"from {upstream.name} ({', '.join(p.rstrip('/') for p in upstream.projects)})."
    )
    return Report(
        kind="upstream",
        key=upstream.key,
        title=f"What Fedora Image Mode needs from {upstream.name}",
        summary=summary,
        generated_at=timezone.now(),
        sections=[
            Section("blockers", "Blockers", "No unresolved blocker.", blocker_rows),
            bugs,
            features,
        ],
        members_view=bool(user.is_authenticated),
    )


def release_report(*, release: Release, user) -> Report:
    """One release's readiness: milestones, blockers, every subproject's migration, images."""
    milestones = Section("milestones", "Milestones", "No milestone targets this release.")
    milestone_list = milestones_with_progress(user=user, release=release)
    for m in milestone_list:
        target = f"target {m.target_date:%Y-%m-%d}" if m.target_date else "no target date"
        milestones.rows.append(
            Row(
                reference=m.key,
                title=m.title + (" (stretch)" if m.stretch else ""),
                state=m.get_status_display(),
                state_code=MILESTONE_STATUS[m.status].css_class,
                detail=f"{target} · {m.progress_label} · {m.blockers_open} open blocker(s)",
                page_url=m.get_absolute_url(),
                progress=m.progress,
            )
        )
    blockers = list(
        blocker_list(user=user, filters={"status": "unresolved", "release": release.pk})
    )
    blockers.sort(key=severity_sort_key)
    blocker_section = Section(
        "blockers",
        "Unresolved blockers",
        "No unresolved blocker.",
        [_blocker_row(b) for b in blockers],
    )
    migrations = Section("migrations", "Migration status", "No subproject.")
    for row in migration_matrix(user=user):
        mg = row.migration
        targets = []
        if mg is not None and mg.beta_target:
            targets.append(f"beta by {mg.beta_target.name}")
        if mg is not None and mg.production_target:
            targets.append(f"production by {mg.production_target.name}")
        migrations.rows.append(
            Row(
                reference=row.subproject.key,
                title=row.subproject.name,
                state=mg.get_stage_display() if mg is not None else "—",
                state_code=VERDICT[row.verdict].css_class,
                detail="; ".join([row.verdict_words, *targets]),
                page_url=row.subproject.get_absolute_url(),
            )
        )
    images = Section("images", "Image health", "No image is watched.")
    unhealthy = 0
    health_rows = health_grid()
    for image_row in health_rows:
        for tag in image_row.tags:
            state = tag.state
            unhealthy += state.state not in (HealthState.HEALTHY, HealthState.PENDING)
            age = ""
            if tag.age is not None:
                hours = int(tag.age.total_seconds() // 3600)
                age = f"built {hours // 24} d {hours % 24} h ago"
            images.rows.append(
                Row(
                    reference=f"{image_row.image.reference}:{state.tag}",
                    title=image_row.image.name,
                    state=state.get_state_display(),
                    state_code=look(state.state).css_class,
                    detail="; ".join(x for x in (age, state.reason, _tests_words(state)) if x),
                    page_url=state.get_absolute_url(),
                )
            )
    done = sum(1 for m in milestone_list if m.status == MilestoneStatus.DONE)
    critical = sum(1 for b in blockers if b.severity == Severity.CRITICAL)
    failing = sum(1 for row in health_rows for t in row.tags if t.state.tests_failed)
    summary = (
        f"{done} of {len(milestones.rows)} milestone(s) done; {len(blockers)} unresolved "
        f"blocker(s), {critical} critical; {unhealthy} of {len(images.rows)} image tag(s) "
        "not healthy"
        + (f"; CI tests failed on the current build of {failing} tag(s)." if failing else ".")
    )
    return Report(
        kind="release",
        key=release.key,
        title=f"{release.name} readiness",
        summary=summary,
        generated_at=timezone.now(),
        sections=[milestones, blocker_section, migrations, images],
        members_view=bool(user.is_authenticated),
    )


def _tests_words(state) -> str:
    """CI's verdict on the tag's current build, as fedimage.ci recorded it in health."""
    if not state.digest:
        return ""
    if state.test_verdict and state.test_digest == state.digest:
        return ("\u2717 " if state.tests_failed else "") + state.test_words
    return "not tested yet"


def _absolute(url: str, base_url: str) -> str:
    return url if not url or url.startswith("http") else base_url + url


def to_markdown(report: Report, *, base_url: str = "") -> str:
    """The report as Markdown, for a Matrix room, Discourse or an upstream issue."""
    lines = [
        f"# {md(report.title)}",
        "",
        f"_Generated {report.generated_at:%Y-%m-%d %H:%M} UTC by fedimage._ {md(report.summary)}",
    ]
    for section in report.sections:
        lines += ["", f"## {md(section.title)}", ""]
        if not section.rows:
            lines.append(f"_{md(section.empty)}_")
            continue
        for row in section.rows:
            url = row.upstream_url or _absolute(row.page_url, base_url)
            ref = f"[{md(row.reference)}]({url})" if url else md(row.reference)
            text = f"- {ref} {md(row.title)}: **{md(row.state)}**"
            if row.progress is not None:
                text += f" ({row.progress}%)"
            if row.detail:
                text += f" — {md(row.detail)}"
            if row.private:
                text += " _(private: members only)_"
            if row.upstream_url and row.page_url:
                text += f" ([fedimage]({_absolute(row.page_url, base_url)}))"
            lines.append(text)
    return "\n".join(lines) + "\n"


CSV_COLUMNS = [
    "section",
    "reference",
    "title",
    "state",
    "progress",
    "detail",
    "upstream_url",
    "page_url",
    "private",
]


def _cell(value: str) -> str:
    # Bidi and control characters as markers, as the pages show them.
    value = visible(value)
    # A cell starting with these is a formula to a spreadsheet (CSV injection).
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def to_csv(report: Report, *, base_url: str = "") -> str:
    """The report as CSV, one row per line of every section."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for section in report.sections:
        for row in section.rows:
            writer.writerow(
                [
                    section.key,
                    _cell(row.reference),
                    _cell(row.title),
                    row.state,
                    "" if row.progress is None else row.progress,
                    _cell(row.detail),
                    row.upstream_url,
                    _absolute(row.page_url, base_url),
                    "yes" if row.private else "no",
                ]
            )
    return out.getvalue()
