"""Each tracker's issue JSON, in the shape the tracker sends it, mapped onto RemoteIssue."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.trackers.payloads import payload
from trackers.clients import forgejo, github, gitlab
from trackers.clients.base import TrackerGarbage


def test_a_gitlab_issue_maps_every_field_fedimage_keeps():
    issue = gitlab.map_issue(payload("gitlab_issue"))

    assert (issue.tracker, issue.project_path, issue.number) == (
        "gitlab",
        "fedora/bootc/tracker",
        84,
    )
    assert issue.title.startswith("Konflux: rawhide-standard")
    assert issue.body.startswith("The `rawhide-standard` build")
    assert (issue.state, issue.labels) == ("open", ("konflux", "bug", "F44"))
    assert (issue.milestone, issue.assignees, issue.author) == (
        "Fedora 44",
        ("jbtrystram",),
        "nimbinatus",
    )
    assert issue.updated_at == datetime(2026, 1, 9, 8, 2, 11, 4000, tzinfo=UTC)
    assert (issue.closed_at, issue.confidential, issue.moved_to) == (None, False, None)
    assert (issue.remote_id, issue.author_migrated) == (171203318, False)


def test_a_github_issue_maps_every_field_fedimage_keeps():
    issue = github.map_issue(payload("github_issue"), "bootc-dev/bootc")

    assert (issue.number, issue.state, issue.labels) == (1123, "closed", ("bug", "area/composefs"))
    assert (issue.milestone, issue.assignees, issue.author) == (None, (), "ckyrouac")
    assert issue.closed_at == datetime(2026, 1, 8, 17, 40, 31, tzinfo=UTC)
    assert issue.web_url == "https://github.com/bootc-dev/bootc/issues/1123"


def test_a_forgejo_issue_migrated_from_pagure_keeps_its_original_author():
    issue = forgejo.map_issue(payload("forgejo_issue_migrated"), "atomic-desktops/tracker")

    assert (issue.author, issue.author_migrated) == ("tpopela", True)
    assert (issue.labels, issue.assignees) == ((), ())  # Forgejo sends null for none
    assert issue.updated_at.utcoffset() == timedelta(hours=1)
    assert issue.updated_at == datetime(
        2025, 12, 19, 16, 2, 44, tzinfo=timezone(timedelta(hours=1))
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", None), ("labels", ["bug"]), ("updated_at", "2026-01-08 17:40:33"), ("number", "1")],
)
def test_a_github_issue_with_a_wrong_field_is_garbage_naming_it(field, value):
    data = payload("github_issue")
    data[field] = value

    with pytest.raises(TrackerGarbage, match=field):
        github.map_issue(data, "bootc-dev/bootc")


def test_nul_characters_are_dropped_from_text():
    data = payload("gitlab_issue")
    data["title"] = "Boot\x00fails"

    assert gitlab.map_issue(data).title == "Bootfails"
