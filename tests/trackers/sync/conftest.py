"""Helpers of the sync tests: what fedimage holds, compared with what a fake tracker has."""

from datetime import timedelta

from django.utils import timezone

from trackers.models import RateBudget, TrackedIssue, TrackerSource

PROJECT = "fedora/bootc/tracker"
REPO = "bootc-dev/bootc"
FORGE_REPO = "atomic-desktops/tracker"


def held(source, **filters) -> dict[int, TrackedIssue]:
    """{number: TrackedIssue} of what fedimage holds for the source."""
    return {i.number: i for i in TrackedIssue.objects.filter(source=source, **filters)}


def mirror_diff(source, fake, project=None) -> tuple[set, set, set]:
    """(missing, extra, stale) between the fake's issues and what is held, as keys."""
    expected = {
        (i.project, i.number): (i.title, i.state, list(i.labels), i.updated_at)
        for i in fake.issues.values()
        if not i.is_pull_request and (project is None or i.project == project)
    }
    got = {
        (i.project, i.number): (i.title, i.state, i.labels, i.updated_at)
        for i in TrackedIssue.objects.filter(source=source, removed=False)
    }
    missing = set(expected) - set(got)
    extra = set(got) - set(expected)
    stale = {k for k in set(expected) & set(got) if expected[k] != got[k]}
    return missing, extra, stale


def assert_mirrors(source, fake, project=None) -> None:
    """What fedimage holds equals what the tracker has: titles, states, labels, times."""
    assert mirror_diff(source, fake, project) == (set(), set(), set())


def trackers(kind, fake_gitlab, fake_github, fake_forgejo):
    return {
        "gitlab": (fake_gitlab, PROJECT),
        "github": (fake_github, REPO),
        "forgejo": (fake_forgejo, FORGE_REPO),
    }[kind]


def wait_is_over(source: TrackerSource) -> None:
    """What the passing of a rate limit's wait does: the pause and the budget's block end."""
    past = timezone.now() - timedelta(seconds=1)
    TrackerSource.objects.filter(pk=source.pk, paused_until__isnull=False).update(paused_until=past)
    RateBudget.objects.filter(blocked_until__isnull=False).update(blocked_until=past)
    source.refresh_from_db()
