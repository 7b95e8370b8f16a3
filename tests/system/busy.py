"""Tasks only the system tests load into their workers (`celery worker --include`)."""

from __future__ import annotations

import time

from celery import shared_task
from django.core.cache import cache


@shared_task(name="tests.system.busy", time_limit=600)
def busy(key: str, seconds: float) -> str:
    """Keep the worker busy for `seconds`, then note in the cache that it finished."""
    time.sleep(seconds)
    cache.set(f"tests.system.busy:{key}", "done", 600)
    return "done"
