"""What a review decision does beyond the meeting: counts, progress, and every blocker list."""

import pytest

from fedimage.initiative.models import Milestone, ReviewState, Severity
from fedimage.initiative.selectors import milestone_get, open_blockers_by_severity
from fedimage.initiative.services import blocker_file
from fedimage.meetings import services
from tests.meetings.conftest import T0, WEEK

pytestmark = pytest.mark.django_db


@pytest.fixture
def milestone(initiative):
    return Milestone.objects.order_by("pk").first()


@pytest.fixture
def decided(milestone, member, lead):
    """Three blockers on one milestone: one accepted, one rejected, one not yet reviewed."""
    meeting = services.meeting_schedule(user=lead, starts_at=T0 + WEEK)
    out = {}
    for state in ("accepted", "rejected", "proposed"):
        blocker = blocker_file(
            reporter=member,
            title=f"Blocker to be {state}",
            severity=Severity.CRITICAL,
            milestones=[milestone],
        )
        if state != "proposed":
            services.vote_cast(blocker=blocker, user=member, value=1 if state == "accepted" else -1)
            services.review_decide(
                blocker=blocker, meeting=meeting, user=lead, state=state, reason=f"{state} x"
            )
        out[state] = blocker
    return out


def test_a_rejected_blocker_leaves_the_open_counts_and_milestone_progress(
    decided, milestone, lead, client
):
    counts = {s: n for s, _, n in open_blockers_by_severity(user=lead)}
    assert counts[Severity.CRITICAL] == 2
    m = milestone_get(user=lead, key=milestone.key)
    assert (m.blockers_total, m.blockers_open, m.blockers_critical) == (2, 2, 2)
    # The default (unresolved) list leaves it out; it is one filter away, marked.
    page = client.get("/blockers/").content.decode()
    assert "Blocker to be rejected" not in page
    assert "Blocker to be accepted" in page
    assert "accepted blocker" in page
    assert "not yet reviewed" in page
    rejected = client.get("/blockers/?status=&review_state=rejected").content.decode()
    assert "1 blocker match." in rejected
    assert "rejected by the meeting" in rejected
    # Listed with any status, the rejected one comes after the open ones, like a closed one.
    ordered = client.get(f"{milestone.get_absolute_url()}").content.decode()
    assert ordered.index("Blocker to be proposed") < ordered.index("Blocker to be rejected")
    detail = client.get(decided["rejected"].get_absolute_url()).content.decode()
    assert "rejected by the meeting" in detail
    assert "rejected x" in detail  # the decision's reason, on the blocker's page


def test_accepted_blockers_are_marked_wherever_blockers_are_listed(decided, milestone, client):
    pages = ["/", milestone.get_absolute_url(), milestone.release.get_absolute_url(), "/blockers/"]
    for url in pages:
        page = client.get(url).content.decode()
        assert "accepted blocker" in page, url


def test_the_api_filters_and_shows_the_review_state(decided, client):
    data = client.get("/api/blockers/?review_state=accepted&review_state=rejected").json()
    rows = data["results"] if isinstance(data, dict) else data
    assert sorted((b["title"], b["review_state"]) for b in rows) == [
        ("Blocker to be accepted", ReviewState.ACCEPTED),
        ("Blocker to be rejected", ReviewState.REJECTED),
    ]
    assert client.get("/api/blockers/?review_state=maybe").status_code == 400
