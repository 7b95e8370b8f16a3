"""Every page and API list reads a constant number of SQL queries and a bounded number of rows.

The data grows in every kind the pages show (tracked issues, blockers and their history,
meetings with votes and reviews, health samples and digests, sync runs); each page's query
count must not move. The page cache is off here: this is what a page costs when it is built.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fedimage.health.models import DigestRecord, HealthState, Sample, StateChange, TagState
from fedimage.initiative.models import Blocker, Milestone, Subproject
from fedimage.initiative.services import blocker_file, blocker_update
from fedimage.meetings.models import Meeting
from fedimage.meetings.services import meeting_schedule, review_decide, vote_cast
from trackers.models import SyncRun, TrackedIssue, TrackerSource
from trackers.selectors import board_columns
from trackers.sync.mapping import label_index

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/releases/f45/",
    "/milestones/production-base-images/",
    "/subprojects/coreos/",
    "/blockers/",
    "/changes/",
    "/health/",
    "/health/images/fedora-bootc/",
    "/trackers/",
    "/trackers/sources/fedora-bootc-tracker/",
    "/trackers/issues/",
    "/trackers/boards/fedora-bootc-tracker/",
    "/meetings/",
    "/meetings/reports/",
    "/meetings/reports/upstream/bootc/",
    "/meetings/reports/releases/f45/",
    "/meetings/reports/upstream/bootc/export.md",
    "/meetings/reports/releases/f45/export.csv",
    "/meetings/charts/",
    "/feeds/blockers.atom",
    "/feeds/calendar.ics",
    "/api/releases/",
    "/api/milestones/",
    "/api/subprojects/",
    "/api/migrations/",
    "/api/blockers/",
    "/api/health/images/",
    "/api/health/tags/",
    "/api/trackers/sources/",
    "/api/trackers/issues/",
    "/api/trackers/runs/",
    "/api/meetings/",
    "/api/meetings/action-items/",
    "/api/meetings/reviews/",
    "/api/reports/upstream/",
    "/api/reports/releases/",
    "/api/",
    "/ci/",
    "/api/ci/runs/",
]


class Grower:
    """Adds data of every kind, a round at a time, dated over the past weeks."""

    def __init__(self, lead, member) -> None:
        self.lead, self.member = lead, member
        self.rounds = 0
        self.now = timezone.now()

    def grow(self, rounds: int) -> None:
        for _ in range(rounds):
            self._round(self.rounds)
            self.rounds += 1

    def _round(self, r: int) -> None:
        now = self.now
        sources = list(TrackerSource.objects.order_by("pk")[:4])
        issues = []
        for source in sources:
            for n in range(10):
                number = r * 10 + n + 1
                labels = ["f45", "coreos", "bug"][: 1 + n % 3]
                closed = n % 2 == 0
                issues.append(
                    TrackedIssue(
                        source=source,
                        project=source.project,
                        number=number,
                        title=f"Issue {number}",
                        body="text " * 50,
                        state="closed" if closed else "open",
                        labels=labels,
                        label_index=label_index(labels),
                        web_url=f"https://gitlab.com/{source.project}/-/issues/{number}",
                        created_at=now - timedelta(days=n),
                        updated_at=now - timedelta(hours=n),
                        closed_at=now - timedelta(hours=n) if closed else None,
                        board_column="Closed" if closed else "Open",
                    )
                )
        TrackedIssue.objects.bulk_create(issues)
        milestone = Milestone.objects.get(key="production-base-images")
        f45 = Milestone.objects.filter(release__key="f45").exclude(pk=milestone.pk).first()
        coreos = Subproject.objects.get(key="coreos")
        meeting = meeting_schedule(user=self.lead, starts_at=now - timedelta(days=30 - r))
        for i in range(6):
            issue = issues[i * 2]
            blocker = blocker_file(
                reporter=self.member,
                title=f"Round {r} blocker {i}",
                description="Some *Markdown*.",
                severity=["critical", "major", "minor"][i % 3],
                milestones=[milestone, f45],
                subprojects=[coreos],
                tracking_url=issue.web_url,
                owner=self.member,
                private=i == 5,
            )
            blocker_update(blocker=blocker, user=self.lead, status="in_progress")
            vote_cast(blocker=blocker, user=self.member, value=1, comment="yes")
            vote_cast(blocker=blocker, user=self.lead, value=1)
            if i % 2:
                review_decide(
                    blocker=blocker, meeting=meeting, user=self.lead, state="accepted", reason="ok"
                )
        tags = list(TagState.objects.filter(image__key__in=["fedora-bootc", "fedora-coreos"]))
        Sample.objects.bulk_create(
            Sample(tag=t, at=now - timedelta(minutes=10 * (r * 30 + k)), state="healthy")
            for t in tags
            for k in range(30)
        )
        DigestRecord.objects.bulk_create(
            DigestRecord(
                tag=t,
                digest=f"sha256:{t.pk:032d}{r * 5 + k:032d}",
                media_type="application/vnd.oci.image.index.v1+json",
                first_seen=now - timedelta(days=r * 5 + k),
                arches=["amd64"],
                details={"amd64": {"layers": [f"sha256:{j:064d}" for j in range(20)]}},
            )
            for t in tags
            for k in range(5)
        )
        StateChange.objects.bulk_create(
            StateChange(
                tag=t,
                at=now - timedelta(days=r),
                old_state=HealthState.HEALTHY,
                new_state=HealthState.STALE,
                reason="old",
            )
            for t in tags
        )
        SyncRun.objects.bulk_create(
            SyncRun(
                source=s,
                status="ok" if k % 3 else "not_modified",
                started_at=now - timedelta(minutes=5 * (r * 20 + k)),
                finished_at=now - timedelta(minutes=5 * (r * 20 + k)),
                requests=1,
                updated=k % 3,
                changes=[f"#{k} title changed"] if k % 3 else [],
            )
            for s in sources
            for k in range(20)
        )


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


@pytest.fixture
def grower(initiative, lead, member, settings):
    settings.PAGE_CACHE_SECONDS = 0
    TrackerSource.objects.filter(name="fedora-bootc-tracker").update(
        board_columns=["To do", "Doing"], board_name="Development"
    )
    Milestone.objects.filter(key="production-base-images").update(tracker_labels=["f45"])
    Subproject.objects.filter(key="coreos").update(tracker_labels=["coreos"])
    return Grower(lead, member)


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "lead"])
def test_every_page_reads_as_many_queries_with_much_more_data(client, grower, lead, signed_in):
    if signed_in:
        client.force_login(lead)
    grower.grow(1)
    meeting = Meeting.objects.order_by("starts_at").last()
    blocker = Blocker.objects.filter(private=False).order_by("pk").first()
    pages = [
        *PAGES,
        f"/meetings/{meeting.pk}/",
        f"/meetings/{meeting.pk}/present/",
        f"/meetings/{meeting.pk}/minutes/text/",
        f"/blockers/{blocker.pk}/",
        f"/api/blockers/{blocker.pk}/",
        f"/api/meetings/{meeting.pk}/",
    ]
    if signed_in:
        pages.append("/notifications/")
    small = {url: queries(client, url) for url in pages}
    grower.grow(5)
    large = {url: queries(client, url) for url in pages}
    assert large == small


def test_pages_of_one_milestone_subproject_or_release_show_the_most_pressing_blockers(
    client, grower
):
    grower.grow(6)  # 36 blockers against the milestone, 30 of them public
    for url, total in (
        ("/milestones/production-base-images/", 30),
        ("/subprojects/coreos/", 30),
        ("/releases/f45/", 30),
    ):
        text = client.get(url).content.decode()
        assert f"All {total} blockers, 25 shown here" in text, url
    text = client.get("/milestones/production-base-images/").content.decode()
    # Critical ones first: the 10 critical of the 30 come before any major one.
    first_major = text.index("badge sev-major") if "badge sev-major" in text else len(text)
    assert text.count("sev-critical", 0, first_major) >= 10


def test_the_link_to_all_blockers_lists_them_all(client, grower):
    grower.grow(6)
    response = client.get("/blockers/?release=f45&status=unresolved")
    assert response.status_code == 200
    assert "30 blockers match." in response.content.decode()


def test_a_board_column_shows_its_latest_issues_and_links_to_all(client, grower):
    grower.grow(4)  # 20 open and 20 closed issues on the board's source
    source = TrackerSource.objects.get(name="fedora-bootc-tracker")
    columns = {c.name: c for c in board_columns(user=None, source=source, per_column=7)}
    assert [c.total for c in columns.values()] == [20, 0, 0, 20]
    assert len(columns["Open"].issues) == 7
    open_issues = TrackedIssue.objects.filter(source=source, state="open")
    newest = open_issues.order_by("-updated_at", "-id")[:7]
    assert [i.pk for i in columns["Open"].issues] == [i.pk for i in newest]
    text = client.get("/trackers/boards/fedora-bootc-tracker/").content.decode()
    assert "All 20, the 20 latest shown" not in text  # 30 shown per column by default
    assert "?source=fedora-bootc-tracker&amp;state=open" not in text
