"""Log formats: JSON lines for collectors, with extras and exceptions kept."""

from __future__ import annotations

import json
import logging
import sys

from fedimage.core.logging import JsonFormatter
from tests.test_deployment import manage, production_env


def test_json_lines_carry_level_logger_message_extras_and_the_exception():
    logger = logging.getLogger("tests.json")
    try:
        raise ValueError("bad input")
    except ValueError:
        record = logger.makeRecord(
            "tests.json",
            logging.WARNING,
            __file__,
            1,
            "sync of %s failed",
            ("bootc",),
            exc_info=sys.exc_info(),
            extra={"source": "bootc"},
        )
    line = JsonFormatter().format(record)

    entry = json.loads(line)
    assert "\n" not in line
    assert (entry["level"], entry["logger"], entry["message"]) == (
        "WARNING",
        "tests.json",
        "sync of bootc failed",
    )
    assert entry["source"] == "bootc"
    assert "ValueError: bad input" in entry["exception"]
    assert entry["time"].endswith("+00:00")


def test_an_unknown_log_format_refuses_to_start():
    result = manage("check", env=production_env(LOG_FORMAT="xml"))
    assert result.returncode != 0
    assert "LOG_FORMAT must be plain or json" in result.stderr


def test_json_format_is_accepted_by_the_settings():
    result = manage("check", env=production_env(LOG_FORMAT="json"))
    assert result.returncode == 0, result.stderr
