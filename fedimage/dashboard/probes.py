"""Probes for process managers and load balancers: alive, and ready to serve.

`/readyz` answers 503 naming what is down ("down": ["broker"]) so an operator reads the cause
from the probe itself; pages keep answering meanwhile (the cache degrades, the outbox holds
queued tasks).
"""

from __future__ import annotations

import redis
from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
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


def static_files_problem() -> str | None:
    """What is wrong with the collected static files, or None.

    With DEBUG off pages name their CSS through WhiteNoise's manifest; without `collectstatic`
    every page would answer 500. The WSGI application refuses to start instead, and /readyz says so.
    """
    if not isinstance(staticfiles_storage, ManifestFilesMixin):
        return None  # development and tests serve static files from the source
    try:
        staticfiles_storage.url("css/fedimage.css")
    except ValueError:
        return (
            f"static files are not collected in STATIC_ROOT ({settings.STATIC_ROOT}): "
            "run `python manage.py collectstatic --noinput` before starting the web server"
        )
    return None


class StaticFilesMissingError(Exception):
    """The static files are not collected (its message says what to run)."""


def _static() -> None:
    problem = static_files_problem()
    if problem:
        raise StaticFilesMissingError(problem)


@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready when the database, the Celery broker and (with Redis) the cache answer and the
    static files are collected."""
    checks = {"database": _database, "broker": _broker, "static": _static}
    if settings.REDIS_URL:
        checks["cache"] = _cache
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check()
            results[name] = "ok"
        except StaticFilesMissingError as exc:
            results[name] = f"error: {exc}"
        except Exception as exc:
            results[name] = f"error: {type(exc).__name__}"
    down = [name for name, result in results.items() if result != "ok"]
    return JsonResponse(
        {"status": "unavailable" if down else "ok", "down": down, "checks": results},
        status=503 if down else 200,
    )
