"""Probes for process managers and load balancers: alive, and ready to serve.

`/readyz` answers 503 naming what is down ("down": ["broker"]) so an operator reads the cause
from the probe itself; pages keep answering meanwhile (the cache degrades, the outbox holds
queued tasks).
"""

from __future__ import annotations

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

from fedimage.celery import app


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _broker() -> None:
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def _cache() -> None:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready when the database, the Celery broker and (with Redis) the cache answer."""
    checks = {"database": _database, "broker": _broker}
    if settings.REDIS_URL:
        checks["cache"] = _cache
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:
            results[name] = f"error: {type(exc).__name__}"
    down = [name for name, result in results.items() if result != "ok"]
    return JsonResponse(
        {"status": "unavailable" if down else "ok", "down": down, "checks": results},
        status=503 if down else 200,
    )
