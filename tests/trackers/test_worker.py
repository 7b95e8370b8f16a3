"""trackers.sync_source through the Redis broker and a real worker, against a fake GitHub."""

import pytest

from tests.worker import redis_worker, wait_for
from trackers import tasks
from trackers.models import RunStatus, SyncRun, TrackedIssue

REPO = "bootc-dev/bootc"


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_redis_syncs_a_source(make_source, fake_github):
    fake_github.add_issues(REPO, 4)
    source = make_source(fake_github, REPO)

    with redis_worker():
        tasks.sync_source.delay(source.pk, trigger="test")
        finished = wait_for(
            lambda: SyncRun.objects.filter(source=source).exclude(status=RunStatus.RUNNING).exists()
        )

    assert finished
    run = SyncRun.objects.get(source=source)
    assert (run.status, run.trigger, run.created) == (RunStatus.OK, "test", 4)
    assert TrackedIssue.objects.filter(source=source).count() == 4
