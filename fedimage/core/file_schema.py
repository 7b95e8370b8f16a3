"""The vocabulary the initiative file's sections declare their schemas in (pydantic models).

A section's schema is a `FileSchema` with one field per top-level table it reads: a `Table`
for `[initiative]`, a `list[Table]` for `[[releases]]`. A table refuses unknown keys and takes
TOML's types strictly (`44` is not the string "44", `true` is not the integer 1). Checks that
span tables (a key used twice, a release that does not exist) go in the schema's
`model_validator(mode="after")`, which reads the sections parsed before it from the validation
context. Any check blames a key with `raise problem(reason, *where)`; `describe()` turns each
error into "line N: milestones[2].title: <what is wrong, in plain words>".
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from itertools import pairwise
from typing import Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.utils.text import slugify
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, model_validator
from pydantic import ValidationError as SchemaError
from pydantic_core import ErrorDetails, PydanticCustomError

from fedimage.core.text import describe_control, first_control

FILE_ERROR = "initiative_file"
# Past this many, the file's author fixes these first and sees the rest on the next load.
MAX_ERRORS = 10


def problem(reason: str, *where: str | int) -> PydanticCustomError:
    """An error whose reason is shown as is, blaming `where` (keys below where it is raised)."""
    return PydanticCustomError(FILE_ERROR, "{reason}", {"reason": reason, "where": where})


class Table(BaseModel):
    """One TOML table: unknown keys refused (those in `refused` with their own reason)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    refused: ClassVar[dict[str, str]] = {}

    @model_validator(mode="before")
    @classmethod
    def known_keys_only(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, reason in cls.refused.items():
                if key in data:
                    raise problem(reason, key)
            allowed = ", ".join(sorted(cls.model_fields))
            for key in data:
                if key not in cls.model_fields:
                    raise problem(f"unknown key (allowed: {allowed})", key)
        return data


class FileSchema(BaseModel):
    """The tables of one section; a single table the file leaves out is read as empty."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def absent_table_is_empty(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name, info in cls.model_fields.items():
                table = info.annotation
                if name not in data and isinstance(table, type) and issubclass(table, Table):
                    data = {**data, name: {}}
        return data


def text(max_length: int = 200, *, multiline: bool = False, required: bool = False):
    """A string, stripped; unless `multiline` on one line; never a control character.

    Names and titles reach pages, Markdown, CSV and feeds: an ANSI escape, a bidi override
    that reverses what a name shows, a line break that splits a CSV row are refused here.
    """

    def check(value: str) -> str:
        stripped = value.strip()
        if required and not stripped:
            raise problem("must not be empty")
        plain(stripped, multiline=multiline)
        if len(value) > max_length:
            raise problem(f"longer than {max_length} characters")
        return stripped

    return AfterValidator(check)


def plain(value: str, *, multiline: bool = False) -> None:
    """Refuse a control character (or, unless multiline, a line break) in the text."""
    char = first_control(value, multiline=multiline)
    if char is not None:
        at = value.index(char)
        where = f" after '{value[max(0, at - 20) : at]}'" if at else " at the start"
        rule = "" if multiline else "; keep it on one line"
        raise problem(f"contains {describe_control(char)}{where}{rule}")


def slug(max_length: int = 80):
    """A required slug: lowercase letters, digits and hyphens."""
    line = text(max_length, required=True).func

    def check(value: str) -> str:
        value = line(value)
        if slugify(value) != value:
            raise problem(f"'{value}' is not a slug (lowercase letters, digits and hyphens)")
        return value

    return AfterValidator(check)


def url(max_length: int = 500):
    """An http(s) URL, or "" when not given."""
    line = text(max_length).func

    def check(value: str) -> str:
        value = line(value)
        try:
            if value:
                URLValidator(schemes=["http", "https"])(value)
        except DjangoValidationError:
            raise problem(f"'{value}' is not an http(s) URL") from None
        return value

    return AfterValidator(check)


def one_of(choices: Mapping[str, Any]):
    """One of the names the file uses, turned into the value the database stores.

    The field is typed as the stored value (a Stage is an integer), so the name is checked
    and turned into it before the type is.
    """

    def check(value: Any) -> Any:
        if not isinstance(value, str):
            got = "a boolean" if isinstance(value, bool) else f"{type(value).__name__} {value!r}"
            raise problem(f"expected one of {', '.join(choices)}, got {got}")
        if value not in choices:
            raise problem(f"'{value}' is not one of {', '.join(choices)}")
        # A model's TextChoices or IntegerChoices member is stored as its plain value.
        return getattr(choices[value], "value", choices[value])

    return BeforeValidator(check)


def between(low: int, high: int, unit: str = ""):
    def check(value: int) -> int:
        if not low <= value <= high:
            raise problem(f"must be between {low} and {high}{unit}")
        return value

    return AfterValidator(check)


def strings(
    what: str,
    *,
    required: bool = False,
    max_count: int | None = None,
    max_length: int | None = None,
    each: Callable[[str], None] | None = None,
    once: bool = False,
):
    """A list of non-empty strings on one line each, stripped (`what` names them in errors).

    `each` checks one item (raising `problem`); `once` refuses an item listed twice.
    """

    def check(value: Any) -> Any:
        if not isinstance(value, list):
            return value  # the list type says what is wrong
        if required and not value:
            raise problem("must list at least one")
        if max_count is not None and len(value) > max_count:
            raise problem(f"at most {max_count} {what}")
        items: list[str] = []
        for item in value:
            if not isinstance(item, str) or not item.strip():
                raise problem(f"expected a list of {what}, got {item!r}")
            item = item.strip()
            plain(item)
            if max_length is not None and len(item) > max_length:
                raise problem(f"'{item[:40]}...' is longer than {max_length} characters")
            if once and item in items:
                raise problem(f"'{item}' is listed twice")
            if each is not None:
                each(item)
            items.append(item)
        return items

    return BeforeValidator(check)


SmallInt = typing.Annotated[int, between(0, 32767)]


def in_order(table: BaseModel, *keys: str) -> None:
    """Refuse unless the dates given under these keys come in this order."""
    given = [(key, getattr(table, key)) for key in keys if getattr(table, key) is not None]
    for (early, first), (late, second) in pairwise(given):
        if second < first:
            raise problem(f"{second} is before {early} {first}: {late} must come after it", late)


def unique(section: str, values: Sequence[str], *, key: str = "key") -> None:
    """Refuse a value used twice, naming its second use."""
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            raise problem(f"'{value}' is used twice", section, i, key)
        seen.add(value)


def number_in_order(tables: Sequence[Any]) -> None:
    """A table without `order` comes in the place the file gives it."""
    for i, table in enumerate(tables):
        if table.order is None:
            table.order = i


def known(value: str | None, keys: Sequence[str], what: str, *where: str | int) -> None:
    """Refuse a reference to another table's key that no table declares."""
    if value and value not in keys:
        raise problem(f"unknown {what} '{value}' (known: {', '.join(keys)})", *where)


# Error types of pydantic's strict mode, in the words a file's author would use.
_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "bool_type": "true or false",
    "list_type": "a list",
    "date_type": "a date",
    "model_type": "a table",
    "dict_type": "a table",
    "float_type": "a number",
}


def describe(error: ErrorDetails, line_of: Callable[[str, int | None, str | None], int]) -> str:
    """One error of a section's schema as "line N: where: reason"."""
    path = [*error["loc"], *error.get("ctx", {}).get("where", ())] or ["file"]
    kind, given = error["type"], error.get("input")
    missing = str(path.pop()) if kind == "missing" and len(path) > 1 else None
    section = str(path[0])
    index = path[1] if len(path) > 1 and isinstance(path[1], int) else None
    rest = path[2:] if index is not None else path[1:]
    key = str(rest[0]) if rest else None
    if missing is not None:
        reason = f"'{missing}' is required"
    elif kind in _EXPECTED and len(path) == 1:
        table = f"[[{section}]] tables" if kind == "list_type" else f"one [{section}] table"
        reason = f"write it as {table}"
    elif kind == "date_type" and isinstance(given, datetime):
        reason = "expected a date like 2026-04-28, not a date-time"
    elif kind in _EXPECTED:
        got = "a boolean" if isinstance(given, bool) else f"{type(given).__name__} {given!r}"
        reason = f"expected {_EXPECTED[kind]}, got {got}"
    elif kind == FILE_ERROR:
        reason = error["msg"]
    else:
        reason = f"{error['msg'][:1].lower()}{error['msg'][1:]}"
    what = section if index is None else f"{section}[{index + 1}]"
    for part in rest:
        what += f"[{part + 1}]" if isinstance(part, int) else f".{part}"
    return f"line {line_of(section, index, key)}: {what}: {reason}"


def describe_all(exc: SchemaError, line_of: Callable[[str, int | None, str | None], int]) -> str:
    """Every error of a section's schema, one a line, in the order of the file."""
    found = sorted({describe(e, line_of) for e in exc.errors()}, key=_line_number)
    more = len(found) - MAX_ERRORS
    return "\n".join(found[:MAX_ERRORS] + ([f"and {more} more"] if more > 0 else []))


def _line_number(message: str) -> tuple[int, str]:
    return int(message.split(":", 1)[0].removeprefix("line ")), message
