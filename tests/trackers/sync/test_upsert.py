"""The map and upsert stages: what is stored, and what the ledger says changed."""

import pytest

from tests.trackers.sync.conftest import PROJECT, REPO, held, trackers
from trackers import services
from trackers.models import RunStatus
from trackers.sync import ledger

KINDS = ["gitlab", "github", "forgejo"]


@pytest.fixture
def tracker(request, fake_gitlab, fake_github, fake_forgejo):
    return trackers(request.param, fake_gitlab, fake_github, fake_forgejo)


@pytest.mark.parametrize("tracker", KINDS, indirect=True)
def test_nul_characters_from_a_tracker_are_dropped_and_the_page_is_stored(tracker, make_source):
    """PostgreSQL text and jsonb refuse NUL: one pasted log must not fail every run forever."""
    fake, project = tracker
    fake.add_issues(project, 2)
    fake.add_issue(
        project, title="Boot\x00fails", body="pasted log\x00with a NUL", labels=["bug\x00"]
    )
    fake.add_issues(project, 3)
    source = make_source(fake, project)

    run = services.source_sync(source=source)

    assert (run.status, run.created) == (RunStatus.OK, 6)
    issue = held(source)[3]
    assert (issue.title, issue.body, issue.labels) == ("Bootfails", "pasted logwith a NUL", ["bug"])


def test_confidential_issue_titles_stay_out_of_the_public_ledger(fake_gitlab, make_source, client):
    """The run ledger is shown to anyone on /trackers/ and /api/trackers/runs/: a confidential
    issue appears there by reference and state only."""
    fake_gitlab.add_issue(PROJECT, title="Embargoed CVE in composefs", confidential=True)
    fake_gitlab.add_issue(PROJECT, title="Public bug")
    source = make_source(fake_gitlab, PROJECT)

    run = services.source_sync(source=source)

    assert run.changes == [f"created {PROJECT}#1 (open)", f"created {PROJECT}#2 (open) Public bug"]
    for url in ("/trackers/", source.get_absolute_url(), "/api/trackers/runs/"):
        response = client.get(url)
        assert response.status_code == 200
        assert "Embargoed" not in response.content.decode(), url
    assert "Public bug" in client.get(source.get_absolute_url()).content.decode()


def test_an_issue_met_twice_in_one_run_is_counted_once(fake_github, make_source):
    """Edited while the listing pages, issue 1 is read at the start and again at the end: the
    run created it, and says so once."""
    fake_github.add_issues(REPO, 7)
    source = make_source(fake_github, REPO)
    fake_github.between_pages = lambda page: (
        page == 1 and fake_github.update_issue(REPO, 1, title="Edited while paging")
    )

    run = services.source_sync(source=source)

    assert (run.created, run.updated, run.unchanged) == (7, 0, 0)
    assert held(source)[1].title == "Edited while paging"
    assert sum(1 for line in run.changes if line.startswith(f"created {REPO}#1 ")) == 1


def test_every_change_is_counted_though_only_the_first_lines_are_kept(
    fake_github, make_source, monkeypatch
):
    monkeypatch.setattr(ledger, "MAX_CHANGES_KEPT", 5)
    fake_github.add_issues(REPO, 12)
    source = make_source(fake_github, REPO)

    run = services.source_sync(source=source)

    assert (run.created, run.changes_total, len(run.changes)) == (12, 12, 5)
    assert run.changes_not_shown == 7
