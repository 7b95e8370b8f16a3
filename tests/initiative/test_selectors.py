from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser

from fedimage.initiative import selectors
from fedimage.initiative.models import BlockerStatus, Migration, Milestone, Severity, Stage
from fedimage.initiative.selectors import (
    blocker_list,
    migration_matrix,
    next_milestone,
    open_blockers_by_severity,
)
from fedimage.initiative.services import blocker_file, blocker_update

pytestmark = pytest.mark.django_db


def milestone_get(*, user, key):
    """The milestone with its progress, no tracked issue linked (trackers counts those)."""
    milestone = selectors.milestone_get(user=user, key=key)
    return selectors.attach_progress([milestone], issue_counts={})[0]


def test_progress_counts_closed_linked_blockers(initiative, member):
    milestone = Milestone.objects.get(key="production-pipeline")
    assert milestone_get(user=member, key=milestone.key).progress is None
    first = blocker_file(reporter=member, title="First problem", milestones=[milestone])
    blocker_file(reporter=member, title="Second problem", milestones=[milestone])
    blocker_update(blocker=first, user=member, status=BlockerStatus.RESOLVED)
    m = milestone_get(user=member, key=milestone.key)
    assert (m.progress, m.progress_label) == (50, "1 of 2 blockers closed")


def test_progress_of_a_migration_milestone_counts_subprojects_at_its_stage(initiative):
    m = milestone_get(user=AnonymousUser(), key="beta-subproject-artifacts")
    # Eight subprojects migrate (the base images provide); CoreOS alone is at beta in the file.
    assert (m.progress, m.progress_label) == (12, "1 of 8 subprojects there")
    Migration.objects.filter(subproject__key="iot").update(stage=Stage.PRODUCTION)
    m = milestone_get(user=AnonymousUser(), key="beta-subproject-artifacts")
    assert m.progress_label == "2 of 8 subprojects there"


def test_matrix_says_overdue_reached_and_next_against_the_plan(initiative):
    rows = {
        r.subproject.key: r for r in migration_matrix(user=AnonymousUser(), today=date(2026, 5, 1))
    }
    assert rows["base-images"].verdict == "provider"
    coreos = [c.state for c in rows["coreos"].cells]
    assert coreos == ["reached", "reached", "current"]
    iot = rows["iot"]
    assert [c.state for c in iot.cells] == ["reached", "overdue", "due"]
    assert iot.verdict_words == "Behind the plan"
    assert "Fedora 44" in iot.cells[1].words


def test_matrix_before_the_deadlines_is_on_schedule(initiative):
    rows = {
        r.subproject.key: r for r in migration_matrix(user=AnonymousUser(), today=date(2026, 1, 1))
    }
    assert rows["iot"].verdict == "on-track"
    assert rows["iot"].cells[1].words == "Next, due Fedora 44"


def test_next_milestone_is_the_nearest_undone_one(initiative):
    assert next_milestone(today=date(2026, 3, 1)).key == "clean-dev-pipeline"
    Milestone.objects.filter(target_date=date(2026, 3, 10)).update(status="done")
    assert next_milestone(today=date(2026, 3, 1)).key == "beta-subproject-artifacts"
    assert next_milestone(today=date(2030, 1, 1)) is None


def test_private_blockers_are_hidden_from_anonymous_visitors(initiative, member):
    blocker_file(
        reporter=member,
        title="Embargoed CVE in the base image",
        private=True,
        severity=Severity.CRITICAL,
    )
    blocker_file(reporter=member, title="Public problem here")
    assert blocker_list(user=AnonymousUser()).count() == 1
    assert blocker_list(user=member).count() == 2
    anon_counts = {s: n for s, _, n in open_blockers_by_severity(user=AnonymousUser())}
    assert anon_counts["critical"] == 0


def test_blocker_list_filters_and_search(initiative, member):
    pipeline = Milestone.objects.get(key="clean-dev-pipeline")
    blocker_file(
        reporter=member, title="Konflux race condition", milestones=[pipeline], category="konflux"
    )
    done = blocker_file(reporter=member, title="Docs missing for switch", category="documentation")
    blocker_update(blocker=done, user=member, status=BlockerStatus.RESOLVED)
    assert blocker_list(user=member, filters={"status": "unresolved"}).count() == 1
    assert blocker_list(user=member, filters={"q": "SWITCH"}).get() == done
    assert blocker_list(user=member, filters={"milestone": pipeline}).count() == 1
    assert (
        blocker_list(user=member, filters={"category": "konflux", "status": "resolved"}).count()
        == 0
    )
