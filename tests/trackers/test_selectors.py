"""Reads of the trackers app: the status page's figures, linking a blocker to its issue."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fedimage.initiative.models import BlockerStatus, Milestone, Subproject
from fedimage.initiative.services import blocker_file, blocker_update
from tests.trackers.factories import issues_for, runs_for
from trackers import selectors, services
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


# Synced issues linked to the initiative: milestone and subproject progress, fixed-upstream flags.
#
# The issues come from the local tracker fakes through the sync service, as in production.

PROJECT = "fedora/bootc/tracker"
REPO = "bootc-dev/bootc"
FLAG = "fixed upstream — confirm?"


@pytest.fixture
def tracker(initiative, fake_gitlab, make_source):
    """The initiative's GitLab tracker on the fake, with a release milestone and labels."""
    fake_gitlab.add_issue(PROJECT, labels=["f44"], milestone="Fedora 44")  # 1 open
    fake_gitlab.add_issue(PROJECT, labels=["f44"], state="closed")  # 2 closed
    fake_gitlab.add_issue(PROJECT, milestone="Fedora 44", state="closed")  # 3 closed
    fake_gitlab.add_issue(PROJECT, labels=["f45"], milestone="Fedora 45")  # 4 elsewhere
    fake_gitlab.add_issue(PROJECT, labels=["f44"], confidential=True)  # 5 confidential, open
    source = make_source(fake_gitlab, PROJECT, name="test-tracker")
    services.source_sync(source=source)
    return source


@pytest.fixture
def upstream(initiative, fake_github, make_source):
    """bootc upstream on the fake GitHub, with issues #1 and #2 open."""
    fake_github.add_issues(REPO, 2)
    source = make_source(fake_github, REPO, name="test-bootc", upstream=True)
    services.source_sync(source=source)
    return source


def link(key: str, *, labels=(), milestones=()) -> None:
    Milestone.objects.filter(key=key).update(
        tracker_labels=list(labels), tracker_milestones=list(milestones)
    )


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


# progress of milestones and subprojects


def test_milestone_progress_counts_its_linked_issues_together_with_its_blockers(tracker, member):
    link("clean-dev-pipeline", labels=["f44"], milestones=["Fedora 44"])
    milestone = Milestone.objects.get(key="clean-dev-pipeline")
    blocker_file(reporter=member, title="Konflux release race", milestones=[milestone])
    done = blocker_file(reporter=member, title="Quay namespace missing", milestones=[milestone])
    blocker_update(blocker=done, user=member, status=BlockerStatus.RESOLVED)

    m = selectors.milestone_with_progress(user=AnonymousUser(), key="clean-dev-pipeline")

    # Issues 1, 2, 3 (issue 1 carries both the label and the milestone: counted once), the
    # confidential 5 hidden from anonymous visitors; 2 and 3 closed. Blockers: 1 of 2 closed.
    assert (m.tracker_issues_closed, m.tracker_issues_total) == (2, 3)
    assert m.progress_label == "3 of 5 issues and blockers closed"
    assert m.progress == 60


def test_confidential_linked_issues_count_for_signed_in_members_only(tracker, member):
    link("clean-dev-pipeline", labels=["f44"])

    anonymous = selectors.milestone_with_progress(user=AnonymousUser(), key="clean-dev-pipeline")
    signed_in = selectors.milestone_with_progress(user=member, key="clean-dev-pipeline")

    assert anonymous.progress_label == "1 of 2 issues closed"
    assert signed_in.progress_label == "1 of 3 issues closed"


def test_issue_that_closes_upstream_moves_the_milestone_progress_on_resync(tracker, fake_gitlab):
    link("image-hosting", milestones=["Fedora 44"])
    before = selectors.milestone_with_progress(user=AnonymousUser(), key="image-hosting")
    fake_gitlab.close_issue(PROJECT, 1)
    services.source_sync(source=tracker)

    after = selectors.milestone_with_progress(user=AnonymousUser(), key="image-hosting")

    assert (before.progress, before.progress_label) == (50, "1 of 2 issues closed")
    assert (after.progress, after.progress_label) == (100, "2 of 2 issues closed")


def test_removed_and_moved_issues_do_not_count_as_closed_work(tracker, fake_gitlab, make_source):
    link("image-hosting", labels=["f44"])
    fake_gitlab.add_project("fedora/bootc/base-images")
    base = make_source(fake_gitlab, "fedora/bootc/base-images", name="test-base-images")
    fake_gitlab.move_issue(PROJECT, 1, "fedora/bootc/base-images")
    fake_gitlab.delete_issue(PROJECT, 2)
    services.source_sync(source=base)
    services.source_sync(source=tracker, full=True)

    m = selectors.milestone_with_progress(user=AnonymousUser(), key="image-hosting")

    # Left: the open copy of 1 in base-images. The moved original and the deleted 2 are gone.
    assert m.progress_label == "0 of 1 issues closed"


def test_milestone_without_links_or_blockers_still_says_it_has_no_linked_work(tracker):
    m = selectors.milestone_with_progress(user=AnonymousUser(), key="image-hosting")

    assert (m.progress, m.progress_label, m.tracker_issues_total) == (
        None,
        "No linked work yet",
        0,
    )


def test_milestone_page_shows_its_linked_issues_and_a_link_to_the_upstream_list(tracker, client):
    link("clean-dev-pipeline", labels=["f44", "area/install"], milestones=["Fedora 44"])

    html = client.get("/milestones/clean-dev-pipeline/").content.decode()

    assert "2 of 3</strong> linked issues closed" in html
    assert "“<bdi>Fedora 44</bdi>”" in html
    assert 'href="/trackers/issues/?label=area%2Finstall"' in html
    assert "2 of 3 issues closed" in html  # the progress


def test_subproject_page_counts_the_issues_its_labels_link(tracker, client):
    Subproject.objects.filter(key="coreos").update(tracker_labels=["f45"])

    html = client.get("/subprojects/coreos/").content.decode()

    assert "0 of 1</strong> linked issue closed" in html


def test_milestone_pages_cost_the_same_queries_however_many_milestones_and_issues_link(
    tracker, fake_gitlab, client
):
    pages = ["/", "/releases/f44/", "/milestones/clean-dev-pipeline/", "/api/milestones/"]
    link("clean-dev-pipeline", labels=["f44"])
    small = {url: count_queries(client, url) for url in pages}
    for i, m in enumerate(Milestone.objects.all()):
        link(m.key, labels=["f44", f"label-{i}"], milestones=["Fedora 44"])
    fake_gitlab.add_issues(PROJECT, 10, labels=["f44"], milestone="Fedora 44")
    services.source_sync(source=tracker)

    large = {url: count_queries(client, url) for url in pages}

    assert large == small


# the fixed-upstream flag


def file_linked(member, title, number, **fields):
    return blocker_file(
        reporter=member,
        title=title,
        owner=member,
        tracking_url=f"https://github.com/{REPO}/issues/{number}",
        **fields,
    )


def test_blocker_whose_upstream_issue_closes_is_flagged_in_the_blocker_list(
    upstream, fake_github, member, client
):
    blocker = file_linked(member, "bootc install fails on s390x", 1)
    assert FLAG not in client.get("/blockers/").content.decode()
    fake_github.close_issue(REPO, 1)
    services.source_sync(source=upstream)

    html = client.get("/blockers/").content.decode()

    assert FLAG in html
    assert FLAG in client.get(blocker.get_absolute_url()).content.decode()
    blocker.refresh_from_db()
    assert blocker.status == BlockerStatus.OPEN  # a flag for its owner, never a status change


def test_fixed_upstream_filter_lists_only_flagged_blockers(upstream, fake_github, member, client):
    flagged = file_linked(member, "bootc install fails on s390x", 1)
    file_linked(member, "Still broken upstream", 2)
    confirmed = file_linked(member, "Owner already confirmed it", 1)
    blocker_update(blocker=confirmed, user=member, status=BlockerStatus.FIXED_UPSTREAM)
    blocker_file(reporter=member, title="No tracking issue at all")
    fake_github.close_issue(REPO, 1)
    services.source_sync(source=upstream)

    response = client.get("/blockers/", {"upstream_fixed": "on"})

    assert response.status_code == 200
    assert [b.pk for b in response.context["page"]] == [flagged.pk]
    assert 'name="upstream_fixed"' in response.content.decode()


def test_flag_shows_in_blocker_rows_of_the_milestone_page(upstream, fake_github, member, client):
    milestone = Milestone.objects.get(key="clean-dev-pipeline")
    file_linked(member, "bootc install fails on s390x", 2, milestones=[milestone])
    fake_github.close_issue(REPO, 2)
    services.source_sync(source=upstream)

    html = client.get("/milestones/clean-dev-pipeline/").content.decode()

    assert FLAG in html


def test_flag_matches_the_issue_whatever_url_form_the_blocker_gives(tracker, fake_gitlab, member):
    work_item = blocker_file(
        reporter=member,
        title="Release race condition in Konflux",
        tracking_url=f"https://gitlab.com/{PROJECT}/-/work_items/1/",
    )
    other = blocker_file(reporter=member, title="Unrelated", tracking_url="https://example.org/")
    fake_gitlab.close_issue(PROJECT, 1)
    services.source_sync(source=tracker)

    flags = dict(selectors.blockers_with_flags(user=member).values_list("pk", "upstream_fixed"))

    assert flags == {work_item.pk: True, other.pk: False}


def test_changing_the_tracking_url_moves_the_flag_to_the_new_issue(upstream, fake_github, member):
    blocker = file_linked(member, "bootc install fails on s390x", 1)
    fake_github.close_issue(REPO, 1)
    services.source_sync(source=upstream)
    assert selectors.blocker_with_flags(user=member, pk=blocker.pk).upstream_fixed

    blocker_update(blocker=blocker, user=member, tracking_url=f"https://github.com/{REPO}/issues/2")

    assert not selectors.blocker_with_flags(user=member, pk=blocker.pk).upstream_fixed


def test_closed_confidential_issue_flags_its_blocker_for_members_only(tracker, fake_gitlab, member):
    blocker = blocker_file(
        reporter=member,
        title="Embargoed bootc issue",
        tracking_url=f"https://gitlab.com/{PROJECT}/-/issues/5",
    )
    fake_gitlab.close_issue(PROJECT, 5)
    services.source_sync(source=tracker)

    assert selectors.blocker_with_flags(user=member, pk=blocker.pk).upstream_fixed
    assert not selectors.blocker_with_flags(user=AnonymousUser(), pk=blocker.pk).upstream_fixed


def test_blocker_list_costs_the_same_queries_however_many_blockers_are_flagged(
    upstream, fake_github, member, client
):
    pages = ["/blockers/", "/blockers/?upstream_fixed=on&status=", "/releases/f44/"]
    milestone = Milestone.objects.get(key="clean-dev-pipeline")
    file_linked(member, "Flagged blocker 0", 1, milestones=[milestone])
    fake_github.close_issue(REPO, 1)
    services.source_sync(source=upstream)
    small = {url: count_queries(client, url) for url in pages}
    for n in range(3, 13):
        fake_github.add_issue(REPO, number=n, state="closed")
        file_linked(member, f"Flagged blocker {n}", n, milestones=[milestone])
    services.source_sync(source=upstream)

    large = {url: count_queries(client, url) for url in pages}

    assert large == small
    assert client.get("/blockers/").content.decode().count(FLAG) == 11
