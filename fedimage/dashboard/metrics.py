"""/metrics: Prometheus text exposition of the requests, task runs and the dashboard's freshness.

Gauges are computed from the database at scrape time (a few small queries), so every web
process answers the same truthful figures however many processes and machines do the work:
sync lag per tracker source, poll lag per image, open blockers by severity, runs, failures and
retries per Celery task. Request counts and latencies come from the web processes themselves
(fedimage.core.metrics). Only addresses in METRICS_ALLOWED_NETWORKS, or a request bearing
METRICS_TOKEN, may read it; anyone else gets 404, as if there were nothing here.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from fedimage.accounts.network import client_ip
from fedimage.core import outbox
from fedimage.core import selectors as core_selectors
from fedimage.core.metrics import process_registry
from fedimage.health import selectors as health_selectors
from fedimage.health.states import HealthState
from fedimage.initiative import selectors as initiative_selectors
from trackers import selectors as trackers_selectors

INF = float("inf")


def _lag(now: datetime, at: datetime | None) -> float:
    """Seconds since `at`; never done is infinitely late (an alert on `> N` fires)."""
    return INF if at is None else max(0.0, (now - at).total_seconds())


class DashboardCollector(Collector):
    """What the database says about the dashboard's freshness and the work done."""

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        sync = GaugeMetricFamily(
            "fedimage_tracker_sync_lag_seconds",
            "Seconds since the source's last successful sync (+Inf: never).",
            labels=["source"],
        )
        for name, at in trackers_selectors.source_last_successes():
            sync.add_metric([name], _lag(now, at))
        yield sync
        poll = GaugeMetricFamily(
            "fedimage_image_poll_lag_seconds",
            "Seconds since the image's last completed poll (+Inf: never).",
            labels=["image"],
        )
        for key, at in health_selectors.image_last_polls():
            poll.add_metric([key], _lag(now, at))
        yield poll
        tags = GaugeMetricFamily(
            "fedimage_image_tags",
            "Watched tags by health state (unreachable: the registry did not answer).",
            labels=["state"],
        )
        counted = {look.state: count for look, count in health_selectors.state_counts()}
        for state in HealthState:
            tags.add_metric([state.value], counted.get(state.value, 0))
        yield tags
        blockers = GaugeMetricFamily(
            "fedimage_open_blockers", "Open blockers by severity.", labels=["severity"]
        )
        for severity, count in initiative_selectors.open_blocker_counts().items():
            blockers.add_metric([severity], count)
        yield blockers
        families = {
            name: CounterMetricFamily(f"fedimage_task_{name}", text, labels=["task"])
            for name, text in (
                ("runs", "Celery task runs finished (succeeded or failed), by task."),
                ("failures", "Celery task runs that failed, by task."),
                ("retries", "Celery task runs that asked to be retried, by task."),
            )
        }
        for counter in core_selectors.task_counter_list():
            for name, family in families.items():
                family.add_metric([counter.task], getattr(counter, name))
        yield from families.values()
        yield GaugeMetricFamily(
            "fedimage_outbox_pending",
            "Tasks waiting in the outbox for the broker.",
            value=outbox.pending_count(),
        )
        age = outbox.oldest_pending_age()
        yield GaugeMetricFamily(
            "fedimage_outbox_oldest_pending_seconds",
            "Age of the oldest task waiting in the outbox (0: none waits).",
            value=age.total_seconds() if age else 0.0,
        )


def _allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header.removeprefix("Bearer ").strip(), token)
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)


@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        raise Http404
    database = CollectorRegistry(auto_describe=False)
    database.register(DashboardCollector())
    body = generate_latest(process_registry()) + generate_latest(database)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
