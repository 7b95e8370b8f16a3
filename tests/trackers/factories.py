"""factory_boy factories of the trackers app (for volume and for pages; syncs use the fakes)."""

from datetime import UTC, datetime, timedelta

import factory
from django.utils import timezone

from trackers.models import RunStatus, SyncRun, TrackedIssue, TrackerSource
from trackers.sync.mapping import board_column, label_index

T0 = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)


class TrackerSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrackerSource
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"source-{n}")
    kind = "github"
    base_url = "https://api.github.com"
    project = factory.Sequence(lambda n: f"owner/repo-{n}")


class TrackedIssueFactory(factory.django.DjangoModelFactory):
    """An issue as synced; labels, state and the board column agree with each other."""

    class Meta:
        model = TrackedIssue

    source = factory.SubFactory(TrackerSourceFactory)
    project = factory.LazyAttribute(lambda o: o.source.project)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.LazyAttribute(lambda o: f"Issue {o.number}")
    state = "open"
    labels = factory.LazyAttribute(lambda o: ["bug"] if o.number % 2 else ["Doing"])
    label_index = factory.LazyAttribute(lambda o: label_index(o.labels))
    board_column = factory.LazyAttribute(
        lambda o: board_column(o.labels, o.state, o.source.board_columns)
    )
    web_url = factory.LazyAttribute(
        lambda o: (
            f"https://gitlab.com/{o.project}/-/issues/{o.number}"
            if o.source.kind == "gitlab"
            else f"https://github.com/{o.project}/issues/{o.number}"
        )
    )
    created_at = T0
    updated_at = factory.LazyAttribute(lambda o: T0 + timedelta(minutes=o.number))


class SyncRunFactory(factory.django.DjangoModelFactory):
    """A finished run that created one issue."""

    class Meta:
        model = SyncRun

    source = factory.SubFactory(TrackerSourceFactory)
    status = RunStatus.OK
    requests = 2
    pages = 1
    created = 1
    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyAttribute(lambda o: o.started_at + timedelta(seconds=1))
    duration = timedelta(seconds=1)
    changes = factory.LazyFunction(lambda: ["created x"])
    changes_total = 1
    skipped = factory.LazyFunction(
        lambda: [{"what": "pull requests", "why": "not issues", "count": 1}]
    )


def issues_for(source: TrackerSource, count: int, *, start: int = 1, **fields) -> None:
    """`count` issues of `source` numbered from `start`, in one query."""
    TrackedIssue.objects.bulk_create(
        [
            TrackedIssueFactory.build(source=source, number=n, **fields)
            for n in range(start, start + count)
        ]
    )


def runs_for(source: TrackerSource, count: int, **fields) -> None:
    """`count` finished runs of `source`, in one query."""
    SyncRun.objects.bulk_create(
        [SyncRunFactory.build(source=source, **fields) for _ in range(count)]
    )
