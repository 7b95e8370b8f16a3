"""Issue and webhook payloads in the exact shape the trackers send (captured form, values of
Fedora's own projects), for the mapping and webhook tests."""

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def payload(name: str) -> Any:
    """The decoded JSON of `name`.json in this folder (a fresh copy each call)."""
    return json.loads((HERE / f"{name}.json").read_text())


def raw(name: str) -> bytes:
    return (HERE / f"{name}.json").read_bytes()
