"""Upstream and release readiness reports: pages, Markdown and CSV exports, the API."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fedimage.initiative.models import BlockerStatus, Category, Milestone
from fedimage.initiative.services import blocker_file, blocker_update
from fedimage.meetings import services as meeting_services
from fedimage.reports.reports import CSV_COLUMNS, UPSTREAMS, issue_kind
from trackers.models import TrackedIssue, TrackerSource

pytestmark = pytest.mark.django_db


def make_issue(source_name: str, number: int, title: str, labels=(), **fields) -> TrackedIssue:
    source = TrackerSource.objects.get(name=source_name)
    now = timezone.now()
    defaults = {
        "state": "open",
        "web_url": f"https://github.com/{source.project}/issues/{number}",
        "created_at": now - timedelta(days=30),
        "updated_at": now - timedelta(days=number % 7),
    }
    return TrackedIssue.objects.create(
        source=source,
        project=source.project,
        number=number,
        title=title,
        labels=list(labels),
        label_index="\n" + "\n".join(labels) + "\n" if labels else "",
        **(defaults | fields),
    )


@pytest.fixture
def upstream_data(initiative, member, lead):
    """bootc and Konflux blockers and issues, some private, confidential or not wanted."""
    f45 = Milestone.objects.get(key="production-base-images")
    blockers = {
        "category": blocker_file(
            reporter=member,
            title="bootc upgrade loses /etc changes",
            category=Category.BOOTC,
            severity="critical",
            milestones=[f45],
        ),
        "tracked": blocker_file(
            reporter=member,
            title="Image builder cannot make s390x ISOs",
            tracking_url="https://github.com/osbuild/image-builder/issues/77",
        ),
        "private": blocker_file(
            reporter=member,
            title="Embargoed bootc signature bypass",
            category=Category.BOOTC,
            private=True,
            milestones=[f45],
        ),
        "konflux": blocker_file(
            reporter=member,
            title="Konflux release pipelines race",
            category=Category.KONFLUX,
            tracking_url="https://github.com/konflux-ci/release-service/issues/901",
            milestones=[f45],
        ),
        "resolved": blocker_file(reporter=member, title="Old bootc bug", category=Category.BOOTC),
    }
    blocker_update(blocker=blockers["resolved"], user=lead, status=BlockerStatus.RESOLVED)
    make_issue("bootc", 1201, "bootc upgrade fails on aarch64", ["bug"])
    make_issue("bootc", 1188, "Logically bound images", ["enhancement"])
    make_issue("bootc", 1102, "switch reboots twice", ["kind/bug"], state="closed")
    make_issue("bootc", 1300, "A question about docs", ["question"])
    make_issue("bootc", 1301, "Confidential crash", ["bug"], confidential=True)
    make_issue("bootc", 1302, "Removed upstream", ["bug"], removed=True)
    make_issue("image-builder", 77, "Build ISO for s390x", ["Feature"], state="closed")
    make_issue("konflux-release-service", 901, "Pipelines race", ["kind/bug"])
    make_issue("konflux-ui", 410, "Show signature status", ["kind/feature"])
    return blockers


def rows_by_section(payload: dict) -> dict[str, list[str]]:
    return {s["key"]: [r["reference"] for r in s["rows"]] for s in payload["sections"]}


def test_issue_kind_reads_common_label_conventions():
    assert issue_kind(["Bug"]) == "bug"
    assert issue_kind(["kind/feature"]) == "feature"
    assert issue_kind(["enhancement", "kind/bug"]) == "bug"
    assert issue_kind(["question", "help wanted"]) == ""


def owns(family: str, project: str) -> bool:
    """Whether the family's project condition (the one the report queries with) takes it."""
    return UPSTREAMS[family].project_q("project").check({"project": project})


def test_upstream_families_group_tracker_projects():
    assert owns("bootc", "bootc-dev/bootc")
    assert owns("bootc", "osbuild/image-builder")
    assert owns("konflux", "konflux-ci/build-definitions")
    assert not owns("bootc", "bootc-dev-fork/bootc")
    assert not owns("konflux", "fedora/bootc/tracker")


def test_bootc_report_lists_its_blockers_bugs_and_features_for_anonymous_visitors(
    client, upstream_data
):
    response = client.get("/api/reports/upstream/bootc/")
    assert response.status_code == 200
    sections = rows_by_section(response.json())
    b = upstream_data
    # A category bootc blocker, and one whose tracking issue lives at osbuild; most severe first.
    assert sections["blockers"] == [f"#{b['category'].pk}", f"#{b['tracked'].pk}"]
    # Open before closed; confidential, removed, unlabelled and Konflux issues left out.
    assert sections["bugs"] == ["bootc-dev/bootc#1201", "bootc-dev/bootc#1102"]
    assert sections["features"] == ["bootc-dev/bootc#1188", "osbuild/image-builder#77"]
    blocker_rows = response.json()["sections"][0]["rows"]
    tracked = blocker_rows[1]
    assert tracked["upstream_url"] == "https://github.com/osbuild/image-builder/issues/77"
    assert tracked["state"] == "Open (upstream issue closed)"
    assert tracked["page_url"] == f"http://testserver/blockers/{b['tracked'].pk}/"

    page = client.get("/meetings/reports/upstream/bootc/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "bootc upgrade loses /etc changes" in text
    assert 'href="https://github.com/bootc-dev/bootc/issues/1201"' in text
    for hidden in ("Embargoed", "Confidential crash", "Removed upstream", "Old bootc bug"):
        assert hidden not in text


def test_konflux_report_takes_konflux_blockers_and_issues_only(client, upstream_data):
    sections = rows_by_section(client.get("/api/reports/upstream/konflux/").json())
    assert sections == {
        "blockers": [f"#{upstream_data['konflux'].pk}"],
        "bugs": ["konflux-ci/release-service#901"],
        "features": ["konflux-ci/konflux-ui#410"],
    }


def test_members_see_private_rows_marked_and_their_public_export_leaves_them_out(
    member_client, upstream_data
):
    page = member_client.get("/meetings/reports/upstream/bootc/").content.decode()
    assert "Embargoed bootc signature bypass" in page
    assert "Confidential crash" in page
    assert "export.md?public=1" in page

    mine = member_client.get("/meetings/reports/upstream/bootc/export.md").content.decode()
    assert "Embargoed bootc signature bypass" in mine
    assert "_(private: members only)_" in mine

    public = member_client.get("/meetings/reports/upstream/bootc/export.md?public=1")
    assert public["Content-Disposition"].endswith('-public.md"')
    text = public.content.decode()
    assert "Embargoed" not in text
    assert "Confidential crash" not in text
    assert "bootc upgrade loses /etc changes" in text


def test_markdown_export_is_a_download_with_links_and_escaped_titles(client, upstream_data):
    make_issue("bootc", 1400, "Fails with *glob* [patterns]", ["bug"])
    response = client.get("/meetings/reports/upstream/bootc/export.md")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    day = timezone.now().strftime("%Y-%m-%d")
    assert response["Content-Disposition"] == (f'attachment; filename="upstream-bootc-{day}.md"')
    text = response.content.decode()
    assert text.startswith("# What Fedora Image Mode needs from bootc\n")
    assert "## Blockers\n" in text
    assert "## Bug reports\n" in text
    assert (
        # "#" escaped so Discourse makes no hashtag of it; Markdown still shows "#1201".
        "- [bootc-dev/bootc\\#1201](https://github.com/bootc-dev/bootc/issues/1201) "
        "bootc upgrade fails on aarch64: **Open** — bug" in text
    )
    assert r"Fails with \*glob\* \[patterns\]" in text
    assert "Embargoed" not in text
    assert "Confidential" not in text


def test_csv_export_parses_back_one_row_per_line_without_private_rows(client, upstream_data):
    blocker_file(
        reporter=upstream_data["category"].reporter,
        title="=HYPERLINK(1) bootc formula",
        category=Category.BOOTC,
    )
    response = client.get("/meetings/reports/upstream/bootc/export.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].endswith('.csv"')
    reader = csv.DictReader(io.StringIO(response.content.decode()))
    assert reader.fieldnames == CSV_COLUMNS
    rows = list(reader)
    assert [(r["section"], r["reference"]) for r in rows if r["section"] != "blockers"] == [
        ("bugs", "bootc-dev/bootc#1201"),
        ("bugs", "bootc-dev/bootc#1102"),
        ("features", "bootc-dev/bootc#1188"),
        ("features", "osbuild/image-builder#77"),
    ]
    titles = {r["title"] for r in rows}
    assert "'=HYPERLINK(1) bootc formula" in titles  # never a live spreadsheet formula
    assert not any("Embargoed" in t or "Confidential" in t for t in titles)
    assert {r["private"] for r in rows} == {"no"}
    bug = next(r for r in rows if r["reference"] == "bootc-dev/bootc#1102")
    assert (bug["state"], bug["detail"]) == ("Closed", "kind/bug")


def test_release_report_covers_milestones_blockers_migrations_and_images(client, upstream_data):
    response = client.get("/api/reports/releases/f45/")
    assert response.status_code == 200
    payload = response.json()
    sections = rows_by_section(payload)
    assert sections["milestones"] == [
        "production-pipeline",
        "production-base-images",
        "production-subproject-artifacts",
        "universal-installer",
    ]
    b = upstream_data
    assert sections["blockers"] == [f"#{b['category'].pk}", f"#{b['konflux'].pk}"]
    assert sections["migrations"][:2] == ["base-images", "coreos"]
    assert len(sections["migrations"]) == 9
    assert "quay.io/fedora/fedora-bootc:45" in sections["images"]
    milestone = payload["sections"][0]["rows"][1]
    assert milestone["state"] == "Not started"
    assert milestone["progress"] == 0
    assert "0 of 2 blockers closed" in milestone["detail"]  # the private one not counted

    csv_rows = list(
        csv.DictReader(
            io.StringIO(client.get("/meetings/reports/releases/f45/export.csv").content.decode())
        )
    )
    from_csv = {}
    for row in csv_rows:
        from_csv.setdefault(row["section"], []).append(row["reference"])
    assert from_csv == {k: v for k, v in sections.items() if v}
    page = client.get("/meetings/reports/releases/f45/").content.decode()
    assert "Fedora 45 readiness" in page
    assert "Embargoed" not in page
    assert "<svg" in page


def test_report_api_lists_reports_and_is_read_only(client, member_client, initiative):
    listing = client.get("/api/reports/upstream/").json()
    assert [e["key"] for e in listing] == ["bootc", "konflux"]
    assert listing[0]["url"] == "http://testserver/api/reports/upstream/bootc/"
    releases = client.get("/api/reports/releases/").json()
    assert [e["key"] for e in releases] == ["f44", "f45", "post-f45"]
    assert client.post("/api/reports/upstream/bootc/", {}).status_code in (403, 405)
    assert member_client.post("/api/reports/upstream/").status_code == 405
    assert member_client.delete("/api/reports/releases/f45/").status_code == 405


def test_unknown_reports_and_formats_are_not_found(client, initiative):
    assert client.get("/meetings/reports/upstream/nope/").status_code == 404
    assert client.get("/api/reports/upstream/nope/").status_code == 404
    assert client.get("/meetings/reports/releases/f99/").status_code == 404
    assert client.get("/meetings/reports/upstream/bootc/export.pdf").status_code == 404


def test_report_index_links_every_report(client, initiative):
    text = client.get("/meetings/reports/").content.decode()
    for url in (
        "/meetings/reports/upstream/bootc/",
        "/meetings/reports/upstream/konflux/",
        "/meetings/reports/releases/f44/",
        "/meetings/charts/",
    ):
        assert f'href="{url}"' in text
    assert 'href="/meetings/reports/"' in client.get("/meetings/").content.decode()


def _grow(n: int, member, lead, *, start: int = 0) -> None:
    milestones = list(Milestone.objects.filter(release__key="f45"))
    for i in range(start, start + n):
        b = blocker_file(
            reporter=member,
            title=f"bootc blocker {i}",
            category=Category.BOOTC,
            milestones=milestones[: 1 + i % 3],
            tracking_url=f"https://github.com/bootc-dev/bootc/issues/{5000 + i}",
            private=i % 4 == 0,
        )
        blocker_update(blocker=b, user=lead, severity="minor")
        make_issue("bootc", 5000 + i, f"issue {i}", ["bug" if i % 2 else "enhancement"])
        make_issue("konflux-ui", 6000 + i, f"ui {i}", ["kind/bug"])


@pytest.mark.parametrize(
    "url",
    [
        "/meetings/reports/upstream/bootc/",
        "/meetings/reports/upstream/bootc/export.csv",
        "/meetings/reports/releases/f45/",
        "/meetings/reports/releases/f45/export.md",
        "/api/reports/releases/f45/",
        "/meetings/charts/",
    ],
)
def test_report_pages_cost_the_same_queries_as_data_grows(
    member_client, initiative, member, lead, url
):
    _grow(2, member, lead)
    with CaptureQueriesContext(connection) as small:
        assert member_client.get(url).status_code == 200
    _grow(8, member, lead, start=100)
    with CaptureQueriesContext(connection) as large:
        assert member_client.get(url).status_code == 200
    assert len(large) == len(small)


def test_a_javascript_issue_url_is_no_link_on_the_page_or_in_the_exports(client, upstream_data):
    make_issue("bootc", 1500, "Hostile link", ["bug"], web_url="javascript:alert(1)")
    page = client.get("/meetings/reports/upstream/bootc/").content.decode()
    markdown = client.get("/meetings/reports/upstream/bootc/export.md").content.decode()
    csv_text = client.get("/meetings/reports/upstream/bootc/export.csv").content.decode()
    assert "Hostile link" in page
    assert "Hostile link" in markdown
    assert "Hostile link" in csv_text
    assert "javascript:" not in page + markdown + csv_text


def test_exports_show_a_bidi_override_as_the_pages_do(client, upstream_data):
    make_issue("bootc", 1501, "invoice-\u202egpj.exe", ["bug"])
    markdown = client.get("/meetings/reports/upstream/bootc/export.md").content.decode()
    csv_text = client.get("/meetings/reports/upstream/bootc/export.csv").content.decode()
    for text in (markdown, csv_text):
        assert "invoice-⟨U+202E⟩gpj.exe" in text
        assert "\u202e" not in text


def test_an_accepted_blocker_is_marked_in_the_report_and_a_rejected_one_left_out(
    client, upstream_data, lead
):
    konflux = upstream_data["konflux"]
    meeting = meeting_services.meeting_schedule(user=lead, starts_at=konflux.created_at)
    meeting_services.review_decide(
        blocker=konflux,
        meeting=meeting,
        user=lead,
        state="accepted",
        reason="blocks the pipeline",
        no_vote_reason="agreed in the room",
    )
    page = client.get("/meetings/reports/upstream/konflux/").content.decode()
    assert "accepted blocker" in page
    meeting_services.review_decide(
        blocker=konflux,
        meeting=meeting,
        user=lead,
        state="rejected",
        reason="fixed by config",
        no_vote_reason="withdrawn",
    )
    sections = rows_by_section(client.get("/api/reports/upstream/konflux/").json())
    assert sections["blockers"] == []
