"""Celery tasks of the accounts app."""

from celery import shared_task

from fedimage.accounts import services
from fedimage.core.locks import single_flight


@shared_task(name="accounts.prune_audit", time_limit=300)
def prune_audit() -> None:
    """Drop sign-in records and dead tokens past their retention; idempotent, single-flight."""
    with single_flight("accounts.prune_audit") as lease:
        if lease:
            services.audit_prune()


@shared_task(name="accounts.clear_sessions", time_limit=600)
def clear_sessions() -> int:
    """Delete expired sessions; idempotent, single-flight. Returns how many were deleted."""
    with single_flight("accounts.clear_sessions") as lease:
        return services.sessions_clear() if lease else 0
