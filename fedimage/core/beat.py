"""The beat scheduler: Celery's persistent one, plus entries that also run at start-up.

Celery's interval entries first run one interval after beat starts, so a fresh dashboard would
stay empty for the first sync interval. Entries named in `beat_run_at_start`
(`CELERY_BEAT_RUN_AT_START` in settings) are made due the moment beat starts, and are sent
through beat's own path, with their own options, like any later run.
"""

from __future__ import annotations

from typing import Any

from celery.beat import PersistentScheduler
from celery.schedules import schedule


class Scheduler(PersistentScheduler):
    """Run the entries in `beat_run_at_start` at start-up, then at their intervals."""

    def setup_schedule(self) -> None:
        super().setup_schedule()
        names = self.app.conf.get("beat_run_at_start") or ()
        entries: dict[str, Any] = self.schedule
        for name in names:
            entry = entries.get(name)
            if entry is None or not isinstance(entry.schedule, schedule):
                continue
            entry.last_run_at = entry.default_now() - entry.schedule.run_every
        self._heap = None  # rebuilt from the entries on the first tick
