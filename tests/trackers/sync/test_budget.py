"""The rate budget shared by every run against one tracker and token, and patience with
short rate limits."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.trackers.conftest import GITHUB_TOKEN, GITLAB_TOKEN
from tests.trackers.fakes import FakeGitHub, FakeGitLab, RateWindow
from tests.trackers.sync.conftest import PROJECT, REPO, assert_mirrors
from trackers import services
from trackers.clients.base import RateLimited
from trackers.models import RateBudget, RunStatus, TrackedIssue
from trackers.sync.budget import Patience, SharedBudget, budget_key


@pytest.fixture
def budget(db):
    return SharedBudget(budget_key(kind="github", base_url="https://api.github.com", token="t"))


def test_a_budget_key_names_the_tracker_and_token_without_holding_the_token():
    key = budget_key(kind="github", base_url="https://api.github.com/", token=GITHUB_TOKEN)

    assert GITHUB_TOKEN not in key
    assert key == budget_key(kind="github", base_url="https://api.github.com", token=GITHUB_TOKEN)
    assert key != budget_key(kind="github", base_url="https://api.github.com", token=None)


def test_announced_requests_are_taken_one_by_one_until_none_is_left(budget):
    reset = timezone.now() + timedelta(minutes=10)
    budget.record("core", remaining=2, reset_at=reset, retry_after=None)

    budget.acquire("core")
    budget.acquire("core")
    with pytest.raises(RateLimited) as caught:
        budget.acquire("core")

    assert caught.value.sent is False
    assert 590 < caught.value.retry_after <= 600
    budget.acquire("search")  # another resource, another budget


def test_answers_out_of_order_never_raise_the_count_within_a_window(budget):
    reset = timezone.now() + timedelta(minutes=10)
    budget.record("core", remaining=40, reset_at=reset, retry_after=None)
    budget.record("core", remaining=41, reset_at=reset, retry_after=None)

    assert RateBudget.objects.get(key=budget.key).remaining == 40
    later = reset + timedelta(hours=1)
    budget.record("core", remaining=5000, reset_at=later, retry_after=None)
    assert RateBudget.objects.get(key=budget.key).remaining == 5000


def test_a_refusal_blocks_every_request_until_its_retry_after(budget):
    budget.record("core", remaining=None, reset_at=None, retry_after=30)

    with pytest.raises(RateLimited) as caught:
        budget.acquire("core")

    assert 25 < caught.value.retry_after <= 30


def test_patience_waits_out_short_limits_and_passes_long_ones_on(settings):
    settings.TRACKERS_RATE_WAIT_MAX_SECONDS = 60
    settings.TRACKERS_RATE_WAIT_TOTAL_SECONDS = 100
    slept = []
    patience = Patience(sleep=slept.append)

    patience.absorb(RateLimited(40))
    patience.absorb(RateLimited(50))
    with pytest.raises(RateLimited):
        patience.absorb(RateLimited(61))  # longer than a run waits
    with pytest.raises(RateLimited):
        patience.absorb(RateLimited(20))  # over the run's total

    assert slept == [pytest.approx(40.05), pytest.approx(50.05)]
    assert patience.waited == 90


def test_fedimage_never_causes_a_429_when_the_headers_announce_the_limit(make_source):
    """GitLab allows 4 requests every 2 seconds and says so in RateLimit-Remaining/-Reset; the
    first sync needs more. It stops before the budget is spent and waits for the reset: the
    tracker never has to refuse a request."""
    with FakeGitLab(token=GITLAB_TOKEN, rate=RateWindow(4, window=2)) as fake:
        fake.add_issues(PROJECT, 12)
        source = make_source(fake, PROJECT)

        run = services.source_sync(source=source)

        assert (run.status, run.created) == (RunStatus.OK, 12)
        assert run.waited > 0
        assert fake.rate.refused == 0
        assert_mirrors(source, fake)


def test_the_budget_is_shared_by_every_source_on_one_tracker_and_token(make_source):
    """Two repositories read with one token: once the first sync has spent what GitHub allows,
    the second waits for the reset without sending a request; a source with another token is
    not held back."""
    with FakeGitHub(token=GITHUB_TOKEN, rate_limit=4) as fake:
        fake.add_issues(REPO, 9)
        fake.add_issues("bootc-dev/other", 2)
        first = make_source(fake, REPO)
        second = make_source(fake, "bootc-dev/other")
        services.source_sync(source=first)
        sent = len(fake.requests)

        with pytest.raises(RateLimited) as caught:
            services.source_sync(source=second)

        assert caught.value.sent is False
        assert len(fake.requests) == sent
        assert fake.core.refused == 0
        second.refresh_from_db()
        assert second.is_paused()
        assert not TrackedIssue.objects.filter(source=second).exists()
