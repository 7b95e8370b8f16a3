"""Who may do what with the trackers: anyone reads, leads start a sync. Defined once."""

from __future__ import annotations

from fedimage.core.permissions import define
from fedimage.initiative.rules import is_lead

define("trackers.sync_now", is_lead, "Only initiative leads may start a sync.")
