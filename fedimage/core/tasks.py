"""The base class of every fedimage Celery task (the app's `task_cls`).

It holds the policy every task shares, so a task's decorator carries only what is its own:
- acknowledged after the work (`acks_late`), and requeued when its worker dies mid-run;
- time limits Celery accepts: a task giving only `time_limit` gets a soft limit a little below
  it (a global soft limit above a task's own hard limit made Celery refuse to publish it), and a
  soft limit at or above the hard one fails at import, not when beat first sends the task;
- one retry layer: the decorator names the expected transient errors (`autoretry_for`,
  `retry_backoff`, `max_retries`); an error carrying `retry_after` (seconds, e.g. from a
  `Retry-After` header or a busy lock) is retried after that long instead of the backoff, capped
  at `max_retry_after`; those expected errors, when retries run out, are logged as one line, not
  as a traceback.

A request (or any code inside a transaction) queues a task with `task.enqueue(...)`: it goes
through the outbox (fedimage.core.outbox), so a broker outage never fails the request and the
task is sent when the broker is back.
"""

from __future__ import annotations

from typing import Any, ClassVar

from celery import shared_task
from celery.contrib.django.task import DjangoTask

DEFAULT_TIME_LIMIT = 300


def soft_limit_for(time_limit: float) -> float:
    """A soft limit leaving the task time to clean up before the hard one (10 %, at most 30 s)."""
    return time_limit - max(1.0, min(30.0, time_limit / 10))


class Task(DjangoTask):
    """A fedimage task: late acks, coherent time limits, retries honouring `retry_after`."""

    acks_late = True
    reject_on_worker_lost = True
    time_limit: ClassVar[float] = DEFAULT_TIME_LIMIT
    soft_time_limit: ClassVar[float] = soft_limit_for(DEFAULT_TIME_LIMIT)
    # The longest wait an error's `retry_after` may impose on a retry.
    max_retry_after: ClassVar[float] = 3600

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__
        if "time_limit" in own and "soft_time_limit" not in own:
            cls.soft_time_limit = soft_limit_for(cls.time_limit)
        if cls.time_limit and cls.soft_time_limit and cls.soft_time_limit >= cls.time_limit:
            raise ValueError(
                f"task {own.get('name', cls.__name__)}: soft_time_limit ({cls.soft_time_limit}) "
                f"must be below time_limit ({cls.time_limit})"
            )
        if own.get("autoretry_for") and "throws" not in own:
            # Expected, retried errors: when retries run out, one log line, no traceback.
            cls.throws = tuple(own["autoretry_for"])

    @property
    def redelivered(self) -> bool:
        """Whether this message came back from a worker that died (or lost the broker) with it.

        A redelivered task that finds its own lock held is most likely looking at the dead
        run's lock, which lapses within its TTL: wait for it (retry) rather than skip.
        """
        return bool((self.request.delivery_info or {}).get("redelivered"))

    def enqueue(self, *args: Any, **kwargs: Any) -> Any:
        """Send this task after the current transaction commits, through the outbox."""
        # Same app, imported late: this module is the app's task_cls, which Celery may load
        # before Django's models are ready.
        from fedimage.core import outbox  # noqa: PLC0415

        return outbox.enqueue(self, args=args, kwargs=kwargs)

    def retry(  # type: ignore[override]
        self,
        args: Any = None,
        kwargs: Any = None,
        exc: BaseException | None = None,
        throw: bool = True,
        eta: Any = None,
        countdown: float | None = None,
        max_retries: int | None = None,
        **options: Any,
    ) -> Any:
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None and eta is None:
            countdown = min(max(float(retry_after), 0.0), float(self.max_retry_after))
        return super().retry(
            args=args,
            kwargs=kwargs,
            exc=exc,
            throw=throw,
            eta=eta,
            countdown=countdown,
            max_retries=max_retries,
            **options,
        )


@shared_task(name="core.relay_outbox", time_limit=120)
def relay_outbox() -> int:
    """Send the outbox rows a broker outage left behind; return how many were sent."""
    from fedimage.core import outbox  # noqa: PLC0415 (see Task.enqueue)

    return outbox.relay()
