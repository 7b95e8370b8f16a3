"""Celery task of the CI results app."""

from __future__ import annotations

from celery import shared_task

from fedimage.ci import services


@shared_task(
    name="ci.refresh",
    autoretry_for=(services.RefreshInProgress,),
    retry_backoff=10,
    max_retries=3,
    time_limit=10 * 60,
)
def refresh() -> int:
    """Read new test runs and recompute every tag's verdict; return how many runs were read."""
    return services.runs_refresh().read
