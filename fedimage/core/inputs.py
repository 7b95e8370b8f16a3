"""Limits on what comes in from outside, checked before it can reach a parser or the database.

JSON is measured for depth before `json.loads` recurses into it (a RecursionError is a 500);
strings with a NUL character are refused (PostgreSQL cannot store or compare them); integers
and UTC offsets are held to what the database stores. The API's parser and filter backend
(fedimage.core.rest), the webhooks and the path/query middleware all use these.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

# PostgreSQL's integer column (what every IntegerField and the issue numbers are).
INT_MAX = 2**31 - 1
INT_MIN = -(2**31)
NUL_MESSAGE = "Null characters are not allowed."

# A JSON string literal, unrolled so a long string is one linear match.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPENERS = frozenset(b"[{")


class InputRefused(ValueError):
    """The input is refused; the message says why in words a client can act on."""


def json_depth(raw: bytes) -> int:
    """How deeply a JSON document nests arrays and objects, without parsing it."""
    brackets = _JSON_STRING.sub(b"", raw).translate(None, delete=_NOT_BRACKETS)
    depth = deepest = 0
    for byte in brackets:
        if byte in _OPENERS:
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def json_loads(raw: bytes | str) -> Any:
    """Parse JSON of at most JSON_MAX_DEPTH levels, or raise InputRefused saying why."""
    data = raw.encode() if isinstance(raw, str) else raw
    limit = settings.JSON_MAX_DEPTH
    if json_depth(data) > limit:
        raise InputRefused(f"JSON nested deeper than {limit} levels.")
    try:
        return json.loads(data, parse_constant=_no_constant)
    except (ValueError, RecursionError) as error:
        raise InputRefused(f"The body is not valid JSON: {error}") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def find_nul(data: Any, path: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """The path to the first string (key or value) holding a NUL character, or None."""
    if isinstance(data, str):
        return path if "\x00" in data else None
    if isinstance(data, dict):
        for key, value in data.items():
            if "\x00" in key:
                return (*path, key)
            found = find_nul(value, (*path, key))
            if found is not None:
                return found
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found = find_nul(value, (*path, str(index)))
            if found is not None:
                return found
    return None


def find_big_int(data: Any, path: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """The path to the first integer no integer column can store, or None."""
    if isinstance(data, int) and not isinstance(data, bool):
        return path if not INT_MIN <= data <= INT_MAX else None
    if isinstance(data, dict):
        items = list(data.items())
    elif isinstance(data, list):
        items = [(str(index), value) for index, value in enumerate(data)]
    else:
        return None
    for key, value in items:
        found = find_big_int(value, (*path, key))
        if found is not None:
            return found
    return None


def as_utc(value: dt.datetime) -> dt.datetime:
    """An aware datetime in UTC (PostgreSQL refuses offsets of ±16:00 and more), or refuse."""
    if value.tzinfo is None:
        return value
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise InputRefused("The date and time is out of range.") from None


class DateTimeField(forms.DateTimeField):
    """Django's form field, its value in UTC (an offset of ±16:00 would reach the database)."""

    def to_python(self, value: Any) -> dt.datetime | None:
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return as_utc(parsed)
        except InputRefused as refused:
            raise ValidationError(str(refused), code="invalid") from None
