"""Who may do what in image health: everyone reads; leads ask for a poll now."""

from __future__ import annotations

from fedimage.core.permissions import define
from fedimage.initiative.rules import is_lead

define("health.poll_now", is_lead, "Only initiative leads may ask for a poll.")
