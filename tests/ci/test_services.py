"""Runs read from the report tracker (the fake GitLab), matched to watched tags, verdicts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fedimage.ci import services
from fedimage.ci.models import CiRun, TagIncident
from fedimage.health.models import TagState
from fedimage.health.services import image_poll
from fedimage.initiative.models import Blocker, BlockerStatus
from tests.ci.reports import MALFORMED, PROJECT, run_issue
from trackers.services import source_sync

pytestmark = pytest.mark.django_db

FOUR = ["amd64", "arm64", "ppc64le", "s390x"]


def tag(image, name="44") -> TagState:
    return TagState.objects.get(image=image, tag=name)


def test_a_passing_run_on_the_current_digest_says_tested_on_3_of_4(report, image):
    state = tag(image)
    ref = f"{image.reference}:44"
    report(
        *run_issue(ref, state.digest, {"amd64": "passed", "arm64": "passed", "ppc64le": "passed"})
    )
    result = services.runs_refresh()
    assert (result.read, result.unparsed, result.verdicts_changed) == (1, 0, 1)
    run = CiRun.objects.get()
    assert (run.image, run.tag_state) == (image, state)
    state.refresh_from_db()
    assert state.test_verdict == "passed"
    assert state.test_words == "tested \u2713 on 3 of 4 arches"
    assert state.test_url == run.web_url
    assert not state.tests_failed
    # The other tag has no run on its digest: not tested.
    assert tag(image, "45").test_verdict == ""
    # Nothing new: nothing read again, nothing changes.
    again = services.runs_refresh()
    assert (again.read, again.verdicts_changed) == (0, 0)


def test_malformed_issues_are_listed_as_unparsed_with_their_reason(report, image):
    for title, body in MALFORMED.values():
        report(title, body)
    services.runs_refresh()
    problems = sorted(CiRun.objects.filter(parsed=False).values_list("problem", flat=True))
    assert len(problems) == 4
    assert any(p.startswith("conflicting results for amd64") for p in problems)
    assert TagState.objects.filter(test_verdict="").count() == 2


def test_an_edited_issue_is_read_again(report, image, fake_gitlab):
    state = tag(image)
    title, body = run_issue(f"{image.reference}:44", state.digest, {"amd64": "passed"})
    issue = report(title, "still running")
    services.runs_refresh()
    assert not CiRun.objects.get().parsed
    fake_gitlab.update_issue(PROJECT, issue.number, body=body)
    source_sync(source=report.source)
    assert services.runs_refresh().read == 1
    assert CiRun.objects.get().parsed


def test_a_run_on_an_earlier_build_or_another_image_counts_for_no_current_tag(
    report, image, registry, pusher, repo
):
    old = tag(image).digest
    pusher.push_multiarch(repo, "44", architectures=tuple(FOUR), created=timezone.now().isoformat())
    image_poll(image=image, now=timezone.now() + timedelta(hours=1))
    assert tag(image).digest != old
    report(*run_issue(f"{image.reference}:44", old, {"amd64": "failed"}))
    report(*run_issue("quay.io/someone/else:1", "sha256:" + "9" * 64, {"amd64": "passed"}))
    services.runs_refresh()
    earlier = CiRun.objects.get(digest=old)
    assert earlier.tag_state == tag(image)  # matched through the tag's history
    assert CiRun.objects.get(registry="quay.io").image is None
    assert tag(image).test_verdict == ""  # the failure is about an older build
    assert not TagIncident.objects.exists()


def test_a_failed_run_on_the_current_digest_is_a_reason_and_optionally_a_blocker(
    report, image, settings
):
    state = tag(image)
    ref = f"{image.reference}:44"
    report(*run_issue(ref, state.digest, {"amd64": "passed", "arm64": "failed"}))
    services.runs_refresh()
    state.refresh_from_db()
    assert state.tests_failed
    assert state.test_words == "tests failed on arm64 (passed on 1 of 4)"
    assert TagIncident.objects.get().blocker is None  # not configured to open one

    settings.CI_FAILED_RUN_OPENS_BLOCKER = True
    assert services.runs_refresh().blockers_opened == 1
    blocker = Blocker.objects.get()
    assert blocker.title == f"Tests failed: {ref} on arm64"
    assert blocker.reporter.username == "ci-results"
    assert [s.key for s in blocker.subprojects.all()] == ["base-images"]
    assert services.runs_refresh().blockers_opened == 0  # once

    # A later run passes on the same build: the blocker is resolved, the incident closed.
    report(*run_issue(ref, state.digest, {"amd64": "passed", "arm64": "passed"}))
    assert services.runs_refresh().blockers_resolved == 1
    blocker.refresh_from_db()
    assert blocker.status == BlockerStatus.RESOLVED
    assert "a later run passed on the same build" in blocker.description
    assert not TagIncident.objects.exists()
    assert tag(image).test_words == "tested \u2713 on 2 of 4 arches"
