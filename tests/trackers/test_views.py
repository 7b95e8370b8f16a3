"""Pages and API of the trackers app: status, upstream issues, board, linking, escaping."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from trackers.models import SyncRun, TrackedIssue, TrackerSource
from trackers.selectors import tracked_issue_for_url
from trackers.services import board_column, label_index

T0 = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)


@pytest.fixture
def sources(db):
    gitlab = TrackerSource.objects.create(
        name="fedora-bootc-tracker",
        kind="gitlab",
        base_url="https://gitlab.com",
        project="fedora/bootc/tracker",
        token_env="FEDIMAGE_GITLAB_TOKEN",
        board_name="Development",
        board_columns=["To Do", "Doing"],
    )
    github = TrackerSource.objects.create(
        name="bootc",
        kind="github",
        base_url="https://api.github.com",
        project="bootc-dev/bootc",
        upstream=True,
        token_env="FEDIMAGE_GITHUB_TOKEN",
    )
    return gitlab, github


def add_issues(source, count, *, start=1, **fields):
    issues = []
    for n in range(start, start + count):
        labels = fields.get("labels", ["bug"] if n % 2 else ["Doing"])
        state = fields.get("state", "open")
        web = (
            f"https://gitlab.com/{source.project}/-/issues/{n}"
            if source.kind == "gitlab"
            else f"https://github.com/{source.project}/issues/{n}"
        )
        issues.append(
            TrackedIssue(
                source=source,
                project=source.project,
                number=n,
                title=fields.get("title", f"Issue {n}"),
                state=state,
                labels=labels,
                label_index=label_index(labels),
                web_url=web,
                created_at=T0,
                updated_at=T0 + timedelta(minutes=n),
                board_column=board_column(labels, state, source.board_columns),
                confidential=fields.get("confidential", False),
            )
        )
    TrackedIssue.objects.bulk_create(issues)


def add_runs(source, count):
    SyncRun.objects.bulk_create(
        [
            SyncRun(
                source=source,
                status="ok",
                requests=2,
                created=1,
                finished_at=timezone.now(),
                duration=timedelta(seconds=1),
                changes=["created x"],
                skipped=[{"what": "pull requests", "why": "not issues", "count": 1}],
            )
            for _ in range(count)
        ]
    )


def queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url",
    [
        "/trackers/",
        "/trackers/sources/bootc/",
        "/trackers/issues/",
        "/trackers/issues/?source=fedora-bootc-tracker&label=bug&state=open",
        "/trackers/boards/fedora-bootc-tracker/",
        "/api/trackers/sources/",
        "/api/trackers/issues/",
        "/api/trackers/runs/",
    ],
)
def test_page_query_count_stays_constant_as_issues_and_runs_grow(sources, client, url):
    for source in sources:
        add_issues(source, 3)
        add_runs(source, 2)
    few = queries(client, url)
    for source in sources:
        add_issues(source, 40, start=10)
        add_runs(source, 30)
    assert queries(client, url) == few


def test_status_page_shows_each_source_with_its_last_error_and_ledger(sources, client):
    github = sources[1]
    add_issues(github, 3)
    add_runs(github, 1)
    github.last_error = "TrackerUnavailable: GET /repos/bootc-dev/bootc/issues: HTTP 502"
    github.last_error_at = timezone.now()
    github.rate_limit_remaining = 4321
    github.save()

    page = client.get("/trackers/").content.decode()

    assert "fedora-bootc-tracker" in page
    assert "HTTP 502" in page
    assert "failing" in page
    assert "4321" in page
    assert '3 <span class="muted">(3 open)</span>' in page
    assert "pull requests" in page


def test_issue_titles_are_escaped(sources, client):
    add_issues(sources[1], 1, title='<script>alert("x")</script>')
    page = client.get("/trackers/issues/").content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page


def test_confidential_issues_are_never_shown_to_anonymous_visitors(sources, client, member):
    gitlab, _ = sources
    add_issues(gitlab, 1, title="Embargoed CVE", confidential=True)
    add_issues(gitlab, 1, start=2, title="Public issue")
    urls = [
        "/trackers/issues/?source=fedora-bootc-tracker",
        "/trackers/boards/fedora-bootc-tracker/",
        "/api/trackers/issues/",
    ]
    for url in urls:
        body = client.get(url).content.decode()
        assert "Embargoed CVE" not in body, url
        assert "Public issue" in body, url
    client.force_login(member)
    for url in urls:
        assert "Embargoed CVE" in client.get(url).content.decode(), url


def test_upstream_list_filters_by_source_label_and_state(sources, client):
    gitlab, github = sources
    add_issues(github, 4)  # odd numbers labelled bug
    add_issues(gitlab, 2)
    TrackedIssue.objects.filter(source=github, number=3).update(state="closed")

    def titles(query):
        page = client.get(f"/trackers/issues/?{query}").context["page"]
        return sorted(i.reference for i in page)

    assert titles("") == [f"bootc-dev/bootc#{n}" for n in (1, 2, 3, 4)]  # upstream only
    assert titles("label=bug") == ["bootc-dev/bootc#1", "bootc-dev/bootc#3"]
    assert titles("label=bug&state=open") == ["bootc-dev/bootc#1"]
    assert titles("source=fedora-bootc-tracker") == [
        "fedora/bootc/tracker#1",
        "fedora/bootc/tracker#2",
    ]
    assert client.get("/trackers/issues/?state=bogus").context["filters_invalid"]


def test_board_shows_columns_in_board_order(sources, client):
    gitlab, _ = sources
    add_issues(gitlab, 3)
    TrackedIssue.objects.filter(number=3).update(state="closed", board_column="Closed")
    response = client.get("/trackers/boards/fedora-bootc-tracker/")
    columns = [(name, [i.number for i in issues]) for name, issues in response.context["columns"]]
    assert columns == [("Open", [1]), ("To Do", []), ("Doing", [2]), ("Closed", [3])]


def test_api_exposes_the_token_variable_name_never_a_token(sources, client, monkeypatch):
    monkeypatch.setenv("FEDIMAGE_GITHUB_TOKEN", "ghp_real_token_value")
    data = client.get("/api/trackers/sources/bootc/").json()
    assert data["token_env"] == "FEDIMAGE_GITHUB_TOKEN"
    assert "ghp_real_token_value" not in client.get("/api/trackers/sources/").content.decode()


def test_api_issues_filter_by_source_label_and_state_and_is_read_only(sources, client, member):
    _, github = sources
    add_issues(github, 4)
    data = client.get("/api/trackers/issues/?source=bootc&label=bug&state=open").json()
    assert [i["reference"] for i in data["results"]] == ["bootc-dev/bootc#3", "bootc-dev/bootc#1"]
    client.force_login(member)
    assert client.post("/api/trackers/issues/", {}).status_code == 405


@pytest.mark.parametrize(
    "url",
    [
        "https://gitlab.com/fedora/bootc/tracker/-/issues/84",
        "https://gitlab.com/fedora/bootc/tracker/-/issues/84/",
        "fedora/bootc/tracker#84",
    ],
)
def test_blocker_tracking_url_resolves_a_gitlab_issue(sources, url):
    add_issues(sources[0], 1, start=84)
    assert tracked_issue_for_url(url).reference == "fedora/bootc/tracker#84"


@pytest.mark.parametrize(
    "url", ["https://github.com/bootc-dev/bootc/issues/123", "bootc-dev/bootc#123"]
)
def test_blocker_tracking_url_resolves_a_github_issue(sources, url):
    add_issues(sources[1], 1, start=123)
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
    add_issues(sources[1], 1, start=123)
    assert tracked_issue_for_url(url) is None


def test_confidential_issue_is_not_resolved_for_anonymous(sources, member):
    from django.contrib.auth.models import AnonymousUser

    add_issues(sources[0], 1, start=84, confidential=True)
    url = "https://gitlab.com/fedora/bootc/tracker/-/issues/84"
    assert tracked_issue_for_url(url, user=AnonymousUser()) is None
    assert tracked_issue_for_url(url, user=member) is not None


def test_upstream_partial_flags_a_blocker_whose_issue_closed(sources, rf, member):
    from django.template import Context, Template

    from fedimage.initiative.models import Blocker

    add_issues(sources[1], 1, start=123, state="closed", title="Fix <b>install</b>")
    blocker = Blocker(
        title="x",
        status="open",
        reporter=member,
        tracking_url="https://github.com/bootc-dev/bootc/issues/123",
    )
    request = rf.get("/")
    request.user = member
    html = Template("{% load upstream %}{% upstream_issue blocker %}").render(
        Context({"blocker": blocker, "request": request})
    )
    assert "upstream closed" in html
    assert "fixed upstream — confirm?" in html
    assert "Fix &lt;b&gt;install&lt;/b&gt;" in html
