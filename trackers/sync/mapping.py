"""The map stage: a tracker's issue onto the fields fedimage stores for it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from trackers.clients.base import RemoteIssue
from trackers.models import IssueState

SYNCED_FIELDS = [
    "remote_id", "title", "body", "state", "labels", "label_index", "milestone", "assignees",
    "author", "author_migrated", "web_url", "created_at", "updated_at", "closed_at",
    "board_column", "confidential", "moved_to", "removed", "removed_at",
]  # fmt: skip
_FIT = {"project": 300, "milestone": 300, "author": 200, "web_url": 1000}


def label_index(labels: Iterable[str]) -> str:
    """ "\\nlabel\\nlabel\\n": a label filter that works on PostgreSQL and SQLite alike."""
    labels = list(labels)
    return "\n" + "\n".join(labels) + "\n" if labels else ""


def board_column(labels: Iterable[str], state: str, columns: list[str]) -> str:
    """GitLab's rule: closed issues sit in Closed; open ones in the first list whose label they
    carry, in board order, else in Open. Without a board there is no column."""
    if not columns:
        return ""
    if state == IssueState.CLOSED:
        return "Closed"
    held = set(labels)
    return next((c for c in columns if c in held), "Open")


def unfit(remote: RemoteIssue) -> str | None:
    """Why fedimage cannot store this issue, or None."""
    if len(remote.web_url) > _FIT["web_url"] or len(remote.project_path) > _FIT["project"]:
        return "its URL or project path is longer than fedimage stores"
    return None


def issue_values(remote: RemoteIssue, columns: list[str]) -> dict[str, Any]:
    """The stored fields of `remote` (the natural key, project and number, apart)."""
    labels = list(dict.fromkeys(remote.labels))
    return {
        "remote_id": remote.remote_id,
        "title": remote.title,
        "body": remote.body,
        "state": remote.state,
        "labels": labels,
        "label_index": label_index(labels),
        "milestone": (remote.milestone or "")[: _FIT["milestone"]],
        "assignees": list(remote.assignees),
        "author": (remote.author or "")[: _FIT["author"]],
        "author_migrated": remote.author_migrated,
        "web_url": remote.web_url,
        "created_at": remote.created_at,
        "updated_at": remote.updated_at,
        "closed_at": remote.closed_at,
        "board_column": board_column(labels, remote.state, columns),
        "confidential": remote.confidential,
        "moved_to": remote.moved_to or "",
        "removed": False,
        "removed_at": None,
    }


def describe(name: str, old: Any, new: Any) -> str:
    """One field's change, as the ledger says it."""
    if name in ("state", "board_column", "milestone"):
        return f"{name} {old or '-'} -> {new or '-'}"
    if name == "removed":
        return "restored" if not new else "removed"
    return name
