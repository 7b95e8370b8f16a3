"""Reads of the trackers app: the status page's figures, linking a blocker to its issue."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from tests.trackers.factories import issues_for, runs_for
from trackers.selectors import source_list, tracked_issue_for_url


def test_requests_in_the_last_24_hours_count_only_that_days_runs(sources):
    gitlab, github = sources
    runs_for(github, 3, requests=7)
    runs_for(github, 2, requests=100, started_at=timezone.now() - timedelta(hours=25))
    runs_for(gitlab, 1, requests=4)

    figures = {s.name: s.requests_24h for s in source_list()}

    assert figures == {"fedora-bootc-tracker": 4, "bootc": 21}


def test_the_source_list_reads_no_issue_and_only_a_day_of_runs(sources, django_assert_num_queries):
    """One query: no join with the issues (their counts are kept on the source), so the 24 h sum
    runs once per source, over that day's runs only."""
    issues_for(sources[1], 50)
    runs_for(sources[1], 40)

    with django_assert_num_queries(1) as captured:
        list(source_list())

    sql = captured.captured_queries[0]["sql"]
    assert "trackers_trackedissue" not in sql
    assert 'GROUP BY "trackers_trackersource"' not in sql
    assert '"started_at" >=' in sql


@pytest.mark.parametrize(
    "url",
    [
        "https://gitlab.com/fedora/bootc/tracker/-/issues/84",
        "https://gitlab.com/fedora/bootc/tracker/-/issues/84/",
        "fedora/bootc/tracker#84",
    ],
)
def test_a_blocker_tracking_url_resolves_a_gitlab_issue(sources, url):
    issues_for(sources[0], 1, start=84)
    assert tracked_issue_for_url(url).reference == "fedora/bootc/tracker#84"


@pytest.mark.parametrize(
    "url", ["https://github.com/bootc-dev/bootc/issues/123", "bootc-dev/bootc#123"]
)
def test_a_blocker_tracking_url_resolves_a_github_issue(sources, url):
    issues_for(sources[1], 1, start=123)
    assert tracked_issue_for_url(url).reference == "bootc-dev/bootc#123"


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/bootc-dev/bootc/pull/123",
        "not a url",
        "https://example.org/",
        "bootc-dev/bootc#999",
        "",
    ],
)
def test_unknown_or_unheld_references_resolve_to_nothing(sources, url):
    issues_for(sources[1], 1, start=123)
    assert tracked_issue_for_url(url) is None


def test_a_confidential_issue_is_not_resolved_for_anonymous_visitors(sources, member):
    issues_for(sources[0], 1, start=84, confidential=True)
    url = "https://gitlab.com/fedora/bootc/tracker/-/issues/84"
    assert tracked_issue_for_url(url, user=AnonymousUser()) is None
    assert tracked_issue_for_url(url, user=member) is not None
