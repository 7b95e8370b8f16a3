"""Typed, validated reading of tracker JSON, and the mapping of GitHub-shaped issues.

Anything a tracker sends that does not have the expected type raises TrackerGarbage naming the
field, so one malformed answer fails its page cleanly instead of storing half an issue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trackers.clients.base import RemoteIssue, TrackerGarbage, TrackerKind


def without_nul(value: str) -> str:
    """Drop NUL characters: PostgreSQL text and jsonb cannot hold them, so one would fail a page."""
    return value.replace("\x00", "")


@dataclass(slots=True)
class Fields:
    """Typed access to one JSON object of a tracker answer; any mismatch is TrackerGarbage."""

    data: Any
    what: str

    def __post_init__(self) -> None:
        if not isinstance(self.data, dict):
            raise TrackerGarbage(f"{self.what}: expected an object, got {type(self.data).__name__}")

    def _get(self, key: str, *, optional: bool) -> Any:
        if key not in self.data:
            if optional:
                return None
            raise TrackerGarbage(f"{self.what}: missing field {key!r}")
        return self.data[key]

    def _bad(self, key: str, expected: str, value: Any) -> TrackerGarbage:
        return TrackerGarbage(
            f"{self.what}: field {key!r} is {type(value).__name__}, not {expected}"
        )

    def integer(self, key: str) -> int:
        value = self._get(key, optional=False)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._bad(key, "int", value)
        return value

    def opt_integer(self, key: str) -> int | None:
        value = self._get(key, optional=True)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._bad(key, "int", value)
        return value

    def text(self, key: str) -> str:
        value = self._get(key, optional=False)
        if not isinstance(value, str):
            raise self._bad(key, "str", value)
        return without_nul(value)

    def opt_text(self, key: str) -> str | None:
        value = self._get(key, optional=True)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self._bad(key, "str", value)
        return without_nul(value)

    def flag(self, key: str, *, default: bool | None = None) -> bool:
        value = self._get(key, optional=default is not None)
        if value is None and default is not None:
            return default
        if not isinstance(value, bool):
            raise self._bad(key, "bool", value)
        return value

    def time(self, key: str) -> datetime:
        value = self.opt_time(key)
        if value is None:
            raise TrackerGarbage(f"{self.what}: field {key!r} is missing or null")
        return value

    def opt_time(self, key: str) -> datetime | None:
        value = self.opt_text(key)
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise TrackerGarbage(f"{self.what}: field {key!r} is not an ISO 8601 time") from None
        if parsed.tzinfo is None:
            raise TrackerGarbage(f"{self.what}: field {key!r} has no time zone")
        return parsed

    def obj(self, key: str) -> Fields:
        value = self._get(key, optional=False)
        return Fields(value, f"{self.what}.{key}")

    def opt_obj(self, key: str) -> Fields | None:
        value = self._get(key, optional=True)
        return None if value is None else Fields(value, f"{self.what}.{key}")

    def array(self, key: str, *, null_is_empty: bool = False) -> list[Any]:
        value = self._get(key, optional=null_is_empty)
        if value is None and null_is_empty:
            return []
        if not isinstance(value, list):
            raise self._bad(key, "list", value)
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        values = self.array(key)
        if not all(isinstance(v, str) for v in values):
            raise TrackerGarbage(f"{self.what}: field {key!r} holds a non-string")
        return tuple(without_nul(v) for v in values)

    def names(self, key: str, attr: str, *, null_is_empty: bool = False) -> tuple[str, ...]:
        """Read `attr` of every object in the list `key` ([{name: ...}, ...])."""
        return tuple(
            Fields(item, f"{self.what}.{key}[{i}]").text(attr)
            for i, item in enumerate(self.array(key, null_is_empty=null_is_empty))
        )

    def has(self, key: str) -> bool:
        return key in self.data and self.data[key] is not None


def map_github_shaped_issue(
    item: Any, repo: str, *, tracker: TrackerKind, name: str, forgejo: bool = False
) -> RemoteIssue:
    """Map an issue in GitHub's shape (which Forgejo/Gitea copies) onto RemoteIssue.

    Every field used is validated. Forgejo sends "labels": null for no labels, and for an issue
    migrated from another forge names its author there in `original_author` (the `user` is then
    whoever ran the migration).
    """
    f = Fields(item, f"{name} issue of {repo}")
    number = f.integer("number")
    f.what = f"{name} issue {repo}#{number}"
    state = f.text("state")
    if state not in ("open", "closed"):
        raise TrackerGarbage(f"{f.what}: unknown state {state!r}")
    milestone = f.opt_obj("milestone")
    user = f.opt_obj("user")
    author = user.text("login") if user else None
    original = f.opt_text("original_author") if forgejo else None
    return RemoteIssue(
        tracker=tracker,
        project_path=repo,
        number=number,
        title=f.text("title"),
        body=f.opt_text("body") or "",
        state="open" if state == "open" else "closed",
        labels=f.names("labels", "name", null_is_empty=forgejo),
        milestone=milestone.text("title") if milestone else None,
        # "assignees": null rather than [] when nobody is assigned (Gitea; GitHub at times).
        assignees=f.names("assignees", "login", null_is_empty=True),
        author=original or author,
        author_migrated=bool(original),
        web_url=f.text("html_url"),
        created_at=f.time("created_at"),
        updated_at=f.time("updated_at"),
        closed_at=f.opt_time("closed_at"),
        remote_id=f.integer("id"),
    )
