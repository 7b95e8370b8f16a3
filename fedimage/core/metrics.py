"""Process-level metrics: HTTP requests (prometheus-client) and task runs (a database ledger).

Requests are counted in the web process with prometheus-client. Under gunicorn, whose several
worker processes each answer some requests and some scrapes, `gunicorn.conf.py` sets
PROMETHEUS_MULTIPROC_DIR so every process writes its samples to files that a scrape sums
(prometheus-client's multiprocess mode). Task runs are counted in the database by the worker
that ran them (Celery signals), so a scrape of any web process sees every worker's runs, on
any machine, and the counts survive restarts.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Any

from celery import signals
from django.db import DatabaseError
from django.db.models import F
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, multiprocess

from fedimage.core.models import TaskCounter

logger = logging.getLogger(__name__)

REQUESTS = Counter(
    "fedimage_http_requests",
    "HTTP requests answered, by method, view and status code.",
    ["method", "view", "status"],
)
LATENCY = Histogram(
    "fedimage_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and view.",
    ["method", "view"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def process_registry() -> CollectorRegistry:
    """The registry holding the request metrics of every web process."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


class RequestMetricsMiddleware:
    """Count each request and time it, labelled by the URL's name (never the raw path)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        # The route's name keeps the label set small (a path would make one series per URL).
        view = (match.view_name if match else "") or "unmatched"
        method = request.method if request.method in KNOWN_METHODS else "other"
        LATENCY.labels(method, view).observe(time.perf_counter() - started)
        REQUESTS.labels(method, view, str(response.status_code)).inc()
        return response


KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def task_count(task: str, *, failed: bool = False, retried: bool = False) -> None:
    """Add one run of `task` to its counter; a database outage loses the count, not the run."""
    fields: dict[str, Any] = (
        {"retries": F("retries") + 1}
        if retried
        else {"runs": F("runs") + 1, "last_run_at": timezone.now()}
    )
    if failed:
        fields["failures"] = F("failures") + 1
    try:
        if not TaskCounter.objects.filter(task=task).update(**fields):
            TaskCounter.objects.get_or_create(task=task)
            TaskCounter.objects.filter(task=task).update(**fields)
    except DatabaseError as exc:
        logger.warning("metrics: task %s not counted: %s", task, exc)


@signals.task_postrun.connect
def _count_run(sender: Any = None, state: str | None = None, **_: Any) -> None:
    if sender is None or state == "RETRY":
        return
    task_count(sender.name, failed=state == "FAILURE")


@signals.task_retry.connect
def _count_retry(sender: Any = None, **_: Any) -> None:
    if sender is not None:
        task_count(sender.name, retried=True)
