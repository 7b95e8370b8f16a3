"""Writes of the CI results app: reading report issues as runs, verdicts per tag, incidents.

`runs_refresh` is the whole job (beat runs it as `ci.refresh`): read the report source's issues
that are new or changed since they were last read (through the trackers app), match each run to
the watched image and tag whose digest it tested (through health), then compute each tag's
verdict on its current digest, record it in health, and open or close the tag's incident.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from fedimage.ci.models import CiRun, TagIncident
from fedimage.ci.parsing import FAILED, PASSED, parse_run
from fedimage.core import users
from fedimage.core.locks import single_flight
from fedimage.health import selectors as health_selectors
from fedimage.health.models import TagState
from fedimage.health.services import tag_tests_record
from fedimage.initiative.models import BlockerStatus, Category, Severity
from fedimage.initiative.services import blocker_file, blocker_update
from trackers import selectors as tracker_selectors
from trackers.models import TrackedIssue

logger = logging.getLogger(__name__)

SYSTEM_USERNAME = "ci-results"


class RefreshInProgress(Exception):
    def __init__(self, *, retry_after: float) -> None:
        super().__init__("ci.refresh")
        self.retry_after = retry_after


@dataclass
class RefreshReport:
    read: int = 0
    unparsed: int = 0
    verdicts_changed: int = 0
    blockers_opened: int = 0
    blockers_resolved: int = 0
    notes: list[str] = field(default_factory=list)


def system_user() -> User:
    """The account blockers opened for failed runs are filed under."""
    return users.system_user(username=SYSTEM_USERNAME, first_name="CI", last_name="results")


def runs_refresh(*, now: datetime | None = None) -> RefreshReport:
    """Read new and changed runs, then recompute every tag's verdict; never overlaps itself."""
    report = RefreshReport()
    with single_flight("ci.refresh") as lease:
        if not lease:
            raise RefreshInProgress(retry_after=lease.retry_after)
        runs_read(report=report)
        verdicts_update(report=report, now=now)
    return report


def _report_issues():
    """The report source's issues not read since they last changed (none: no such source)."""
    name = settings.CI_REPORT_SOURCE
    if not name:
        return TrackedIssue.objects.none()
    issues = tracker_selectors.issue_list(
        user=AnonymousUser(), filters={"source": name, "removed": True}
    )
    return issues.exclude(ci_run__issue_updated_at=F("updated_at"))


def runs_read(*, report: RefreshReport | None = None, batch: int = 200) -> RefreshReport:
    """Parse the report issues that are new or changed, and match them to watched tags."""
    report = report or RefreshReport()
    while True:
        issues = list(_report_issues().order_by("updated_at", "id")[:batch])
        if not issues:
            return report
        with transaction.atomic():
            for issue in issues:
                run = _read_one(issue)
                report.read += 1
                report.unparsed += not run.parsed


def _read_one(issue: TrackedIssue) -> CiRun:
    parsed = parse_run(issue.title, issue.body)
    values = {
        "issue_updated_at": issue.updated_at,
        "title": issue.title,
        "web_url": issue.web_url,
        "run_at": issue.created_at,
        "parsed": parsed.ok,
        "problem": parsed.problem[:300],
        "registry": parsed.registry,
        "repository": parsed.repository[:300],
        "tag": parsed.tag,
        "digest": parsed.digest,
        "version": parsed.version[:100],
        "results": parsed.results,
        "links": parsed.links,
        "image": None,
        "tag_state": None,
        "read_at": timezone.now(),
    }
    if parsed.ok:
        values["image"], values["tag_state"] = _match(
            parsed.registry, parsed.repository, parsed.tag, parsed.digest
        )
    run, _ = CiRun.objects.update_or_create(issue=issue, defaults=values)
    return run


def _match(registry: str, repository: str, tag: str, digest: str):
    """The watched image and tag a run tested: by digest (now, else in the tag's history)."""
    tags = health_selectors.tags_of_repository(registry=registry, repository=repository)
    if not tags:
        return None, None
    image = tags[0].image
    named = [t for t in tags if t.tag == tag]
    current = [t for t in tags if t.digest == digest]
    if current:
        return image, (set(current) & set(named) or set(current)).pop()
    earlier = set(health_selectors.digest_tags(digests=[digest]).get(digest, []))
    historic = [t for t in tags if t.pk in earlier]
    if historic:
        return image, (set(historic) & set(named) or set(historic)).pop()
    return image, named[0] if named else None


@dataclass(frozen=True)
class Verdict:
    verdict: str  # passed, failed or "" (no run on this digest)
    words: str
    url: str = ""
    run_at: datetime | None = None
    failed: tuple[str, ...] = ()


def verdict_for(state: TagState, runs: list[CiRun]) -> Verdict:
    """What the runs on the tag's current digest say, latest result per architecture first."""
    if not runs or not state.digest:
        return Verdict("", "")
    latest: dict[str, str] = {}
    for run in sorted(runs, key=lambda r: (r.run_at, r.pk)):
        latest.update(run.results)
    newest = max(runs, key=lambda r: (r.run_at, r.pk))
    expected = list(state.image.expected_arches) or sorted(latest)
    passed = [a for a in expected if latest.get(a) == PASSED]
    failed = tuple(sorted(a for a, r in latest.items() if r == FAILED))
    if failed:
        words = f"tests failed on {', '.join(failed)} (passed on {len(passed)} of {len(expected)})"
        return Verdict(FAILED, words, newest.web_url, newest.run_at, failed)
    words = f"tested \u2713 on {len(passed)} of {len(expected)} arches"
    return Verdict(PASSED, words, newest.web_url, newest.run_at)


def verdicts_update(*, report: RefreshReport | None = None, now: datetime | None = None):
    """Recompute every active tag's verdict on its current digest; record and act on it."""
    report = report or RefreshReport()
    tags = health_selectors.tests_tag_list()
    digests = {t.digest for t in tags if t.digest}
    runs_by_key: dict[tuple[str, str, str], list[CiRun]] = {}
    for run in CiRun.objects.filter(parsed=True, digest__in=digests, issue__removed=False):
        runs_by_key.setdefault((run.registry, run.repository, run.digest), []).append(run)
    incidents = {i.tag_state_id: i for i in TagIncident.objects.select_related("blocker")}
    for state in tags:
        key = (state.image.registry, state.image.repository, state.digest)
        verdict = verdict_for(state, runs_by_key.get(key, []))
        with transaction.atomic():
            if tag_tests_record(
                tag_state_id=state.pk,
                digest=state.digest if verdict.verdict else "",
                verdict=verdict.verdict,
                words=verdict.words,
                url=verdict.url,
                run_at=verdict.run_at,
            ):
                report.verdicts_changed += 1
            _incident(state, verdict, incidents.get(state.pk), report)
    return report


def _incident(
    state: TagState, verdict: Verdict, incident: TagIncident | None, report: RefreshReport
) -> None:
    """A failed run on the current digest opens an incident (and, if configured, a blocker)."""
    if verdict.verdict == FAILED:
        if incident is not None and incident.digest != state.digest:
            _close(incident, state, "the tag moved to a new build that failed too", report)
            incident = None
        if incident is None:
            incident = TagIncident.objects.create(tag_state=state, digest=state.digest)
        if incident.blocker_id is None and settings.CI_FAILED_RUN_OPENS_BLOCKER:
            incident.blocker = _file_blocker(state, verdict)
            incident.save(update_fields=["blocker"])
            report.blockers_opened += 1
        return
    if incident is not None:
        why = (
            "a later run passed on the same build"
            if verdict.verdict == PASSED and incident.digest == state.digest
            else "the tag moved to a new build"
        )
        _close(incident, state, why, report)


def _file_blocker(state: TagState, verdict: Verdict):
    image = state.image
    ref = f"{image.reference}:{state.tag}"
    title = f"Tests failed: {ref} on {', '.join(verdict.failed)}"
    description = (
        f"The initiative's CI reported a failed test run on the build {ref} points at "
        f"({state.digest}, version {state.version or 'unknown'}): {verdict.words}.\n\n"
        f"Run: {verdict.url}\n\nOpened automatically by fedimage (CI results); it is resolved "
        "when a later run passes on the tag's current build."
    )
    return blocker_file(
        reporter=system_user(),
        title=title[:200],
        description=description,
        severity=Severity.MAJOR,
        category=Category.OTHER,
        milestones=[image.milestone] if image.milestone else [],
        subprojects=[image.subproject] if image.subproject else [],
        # Not the run's issue as tracking URL: run issues close as a matter of course, which
        # would flag the blocker "fixed upstream".
    )


def _close(incident: TagIncident, state: TagState, why: str, report: RefreshReport) -> None:
    blocker = incident.blocker
    if blocker is not None and not blocker.is_closed:
        note = f"\n\n**Resolved by the CI results** on {timezone.now():%Y-%m-%d %H:%M} UTC: {why}."
        blocker_update(
            blocker=blocker,
            user=system_user(),
            status=BlockerStatus.RESOLVED,
            description=blocker.description + note,
        )
        report.blockers_resolved += 1
    incident.delete()
