"""Celery tasks of the accounts app."""

from celery import shared_task

from fedimage.accounts import services
from fedimage.locks import single_flight


@shared_task(name="accounts.prune_audit", acks_late=True, time_limit=300, soft_time_limit=240)
def prune_audit() -> None:
    """Drop sign-in records and dead tokens past their retention; idempotent, single-flight."""
    with single_flight("accounts.prune_audit", timeout=300) as acquired:
        if acquired:
            services.audit_prune()
