"""Writes and workflows of image health: polling, evaluation, history, retention, incidents.

Tasks, commands and views call the names below; the modules behind them are the stages of a
poll (`reading` the registry, `recording` what it means, `evaluation`, `evidence`, `incidents`)
and the housekeeping around it (`runs` asked for and their progress, `retention`).
"""

from fedimage.health.services.incidents import SYSTEM_USERNAME, system_user
from fedimage.health.services.polling import (
    PollReport,
    PollThrottled,
    image_poll,
    registry_client_for,
)
from fedimage.health.services.recording import TagOutcome
from fedimage.health.services.retention import (
    digests_thin,
    facts_thin,
    runs_thin,
    samples_thin,
)
from fedimage.health.services.runs import (
    ImageBusy,
    PollBusy,
    PollRequest,
    RegistryBusy,
    image_poll_run,
    polls_request,
    registry_slot,
    runs_close_stranded,
)
from fedimage.health.services.testing import tag_tests_record

__all__ = [
    "SYSTEM_USERNAME",
    "ImageBusy",
    "PollBusy",
    "PollReport",
    "PollRequest",
    "PollThrottled",
    "RegistryBusy",
    "TagOutcome",
    "digests_thin",
    "facts_thin",
    "image_poll",
    "image_poll_run",
    "polls_request",
    "registry_client_for",
    "registry_slot",
    "runs_close_stranded",
    "runs_thin",
    "samples_thin",
    "system_user",
    "tag_tests_record",
]
