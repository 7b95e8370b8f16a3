"""Old history deleted a batch at a time; every retention job on beat's daily schedule."""

from datetime import timedelta
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fedimage.celery import app
from fedimage.core.retention import delete_in_batches
from fedimage.core.tasks import Task

pytestmark = pytest.mark.django_db

RETENTION_JOBS = {
    "trackers.prune_ledger",
    "health.thin_samples",
    "notifications.prune",
    "accounts.prune_audit",
    "accounts.clear_sessions",
    "bus.housekeeping",
}


def sessions(n: int, *, age: timedelta) -> None:
    expire = timezone.now() - age
    Session.objects.bulk_create(
        Session(session_key=f"{age.days}-{i}", session_data="", expire_date=expire)
        for i in range(n)
    )


def test_rows_are_deleted_in_batches_and_the_rest_kept():
    sessions(12, age=timedelta(days=2))
    sessions(3, age=timedelta(days=-2))
    old = Session.objects.filter(expire_date__lt=timezone.now())
    with CaptureQueriesContext(connection) as ctx:
        assert delete_in_batches(old, batch_size=5) == 12
    deletes = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == 3  # 5 + 5 + 2, each its own transaction
    assert Session.objects.count() == 3
    assert delete_in_batches(old, batch_size=5) == 0


def test_every_history_table_has_a_daily_retention_job_on_the_task_base():
    daily = {
        entry["task"]
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["schedule"] <= 24 * 3600
    }
    assert daily >= RETENTION_JOBS
    for name in RETENTION_JOBS:
        label = name.split(".")[0]
        import_module("trackers.tasks" if label == "trackers" else f"fedimage.{label}.tasks")
        assert isinstance(app.tasks[name], Task), name
