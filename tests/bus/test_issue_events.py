"""Reading relayed tracker webhooks off the bus: the issue they name, or nothing."""

import pytest

from fedimage.bus.issue_events import IssueEvent, issue_event
from tests.bus import payloads

PREFIX = "org.fedoraproject.prod."


def test_a_gitlab_issue_hook_names_its_project_and_issue():
    body = payloads.gitlab_issue("https://gitlab.com", "fedora/bootc/tracker", 84)
    assert issue_event(PREFIX + "gitlab.issue", body) == IssueEvent(
        kind="gitlab",
        host="gitlab.com",
        project="fedora/bootc/tracker",
        number=84,
        event="gitlab.issue",
    )


def test_a_comment_on_an_issue_counts_and_one_on_a_merge_request_does_not():
    web, project = "https://gitlab.com", "fedora/bootc/base-images"
    on_issue = issue_event("gitlab.note", payloads.gitlab_note(web, project, 51))
    assert on_issue is not None
    assert on_issue.number == 51
    assert (
        issue_event("gitlab.note", payloads.gitlab_note(web, project, 3, noteable="MergeRequest"))
        is None
    )


def test_forgejo_issues_count_and_pull_requests_do_not():
    web, repo = "https://forge.fedoraproject.org", "releng/tickets"
    event = issue_event(PREFIX + "forgejo.issues", payloads.forgejo_issue(web, repo, 12))
    assert event == IssueEvent("forgejo", "forge.fedoraproject.org", repo, 12, "forgejo.issues")
    assert issue_event("forgejo.issues", payloads.forgejo_issue(web, repo, 13, pull=True)) is None


@pytest.mark.parametrize(
    ("topic", "body"),
    [
        ("gitlab.push", payloads.gitlab_issue("https://gitlab.com", "a/b", 1)),
        ("fedimage.blocker.new", {"blocker": {}}),
        ("gitlab.issue", {"headers": {}, "body": "not an object"}),
        ("gitlab.issue", {"body": {"project": {"path_with_namespace": "a/b"}}}),
        ("gitlab.issue", payloads.gitlab_issue("https://gitlab.com", "a/b", 0)),
        ("gitlab", {}),
        ("forgejo.issues", {"body": {"issue": {"number": True}, "repository": {}}}),
    ],
)
def test_anything_else_is_not_an_issue_event(topic, body):
    assert issue_event(topic, body) is None
