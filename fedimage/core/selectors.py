"""Reads of the shared infrastructure."""

from __future__ import annotations

from django.db.models import QuerySet

from fedimage.core.models import TaskCounter


def task_counter_list() -> QuerySet[TaskCounter]:
    return TaskCounter.objects.order_by("task")
