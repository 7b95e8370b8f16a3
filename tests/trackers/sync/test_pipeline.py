"""The pipeline as a whole: boards, one issue at a time (webhooks), the lock, and secrets."""

import io
import logging

import pytest
from django.core.management import call_command

from tests.trackers.sync.conftest import FORGE_REPO, PROJECT, REPO, held, trackers
from trackers import services
from trackers.clients.base import TrackerAuthError
from trackers.models import SyncRun
from trackers.sync.pipeline import source_lock

KINDS = ["gitlab", "github", "forgejo"]


@pytest.fixture
def tracker(request, fake_gitlab, fake_github, fake_forgejo):
    return trackers(request.param, fake_gitlab, fake_github, fake_forgejo)


def test_a_first_gitlab_sync_reads_board_columns_from_list_labels(fake_gitlab, make_source):
    fake_gitlab.add_board(PROJECT, "Development", ["To Do", "Doing"], assignee_list=True)
    fake_gitlab.add_issue(PROJECT, labels=["Doing", "bug"])
    fake_gitlab.add_issue(PROJECT, labels=["bug"])
    fake_gitlab.add_issue(PROJECT, labels=["To Do", "Doing"])
    fake_gitlab.add_issue(PROJECT, labels=["Doing"], state="closed")
    source = make_source(fake_gitlab, PROJECT)

    services.source_sync(source=source)

    source.refresh_from_db()
    assert (source.board_name, source.board_columns) == ("Development", ["To Do", "Doing"])
    columns = {n: i.board_column for n, i in held(source).items()}
    assert columns == {1: "Doing", 2: "Open", 3: "To Do", 4: "Closed"}


def test_a_webhook_issue_sync_stores_the_issue_or_flags_it_gone(fake_forgejo, make_source):
    fake_forgejo.add_issues(FORGE_REPO, 2)
    source = make_source(fake_forgejo, FORGE_REPO)
    services.source_sync(source=source)
    fake_forgejo.delete_issue(FORGE_REPO, 1)
    fake_forgejo.update_issue(FORGE_REPO, 2, title="Via the hook")

    gone = services.issue_sync(source=source, project=FORGE_REPO, number=1)
    changed = services.issue_sync(source=source, project=FORGE_REPO, number=2)

    assert (gone.kind, gone.removed, gone.requests) == ("issue", 1, 1)
    assert changed.updated == 1
    assert held(source)[1].removed
    assert held(source)[2].title == "Via the hook"


def test_a_sync_of_a_source_already_syncing_is_refused(fake_gitlab, make_source):
    source = make_source(fake_gitlab, PROJECT)
    with source_lock(source) as acquired:
        assert acquired
        with pytest.raises(services.SyncInProgress) as caught:
            services.source_sync(source=source)
    assert caught.value.retry_after > 0
    assert not SyncRun.objects.exists()


def test_a_sync_refused_by_the_lock_leaves_the_live_run_alone(fake_github, make_source):
    fake_github.add_issues("bootc-dev/other", 1)
    source = make_source(fake_github, REPO)
    other = make_source(fake_github, "bootc-dev/other")
    live = SyncRun.objects.create(source=source)
    elsewhere = SyncRun.objects.create(source=other)

    with source_lock(source) as held_by_live_run:
        assert held_by_live_run
        with pytest.raises(services.SyncInProgress):
            services.source_sync(source=source)
    services.source_sync(source=other)

    live.refresh_from_db()
    elsewhere.refresh_from_db()
    assert (live.status, live.finished_at, live.error) == ("running", None, "")
    assert elsewhere.status == "interrupted"


@pytest.mark.parametrize("tracker", KINDS, indirect=True)
def test_the_token_never_appears_in_pages_api_logs_or_database(
    tracker, make_source, monkeypatch, client, caplog
):
    """The token is read from the environment for each run and goes nowhere else: not after a
    good run, not after the tracker refused it."""
    fake, project = tracker
    token = fake.token
    fake.add_issues(project, 2)
    source = make_source(fake, project)

    with caplog.at_level(logging.DEBUG):
        assert services.source_sync(source=source).created == 2
        monkeypatch.setenv(source.token_env, token + "-revoked")
        with pytest.raises(TrackerAuthError):
            services.source_sync(source=source)
        pages = [
            client.get(url).content.decode()
            for url in (
                "/trackers/",
                source.get_absolute_url(),
                f"/trackers/issues/?source={source.name}",
                "/api/trackers/sources/",
                "/api/trackers/runs/",
                "/api/trackers/issues/",
            )
        ]
    database = io.StringIO()
    call_command("dumpdata", "trackers", stdout=database)

    assert fake.requests  # the token was used...
    assert any(token in v for r in fake.requests for v in r.headers.values())
    assert "Issue 1" in pages[2]  # ...and what is looked at holds the synced data
    assert "TrackerAuthError" in pages[1]
    for where, text in [
        *zip(["pages and API"] * len(pages), pages, strict=True),
        ("logs", caplog.text),
        ("database", database.getvalue()),
    ]:
        assert token not in text, where
        assert "revoked" not in text, where
