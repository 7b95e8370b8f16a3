"""Board columns, for trackers whose client reads boards (GitLab): refreshed on first and full
listings, so an incremental run with no change stays one request."""

from __future__ import annotations

from typing import cast

from django.db import transaction

from trackers.clients.base import (
    Board,
    BoardReader,
    TrackerAuthError,
    TrackerGarbage,
    TrackerNotFound,
)
from trackers.models import TrackedIssue
from trackers.sync.context import SyncContext
from trackers.sync.mapping import board_column


def board_refresh(ctx: SyncContext) -> None:
    """Read the source's board and re-file every held issue if its columns changed."""
    source = ctx.source
    reader = cast(BoardReader, ctx.client)
    try:
        boards = ctx.call(lambda: reader.boards(source.project, group=source.is_group))
    except (TrackerNotFound, TrackerAuthError, TrackerGarbage) as exc:
        ctx.counts.skip("board", f"could not be read: {exc}")
        return
    board: Board | None = None
    if source.board_id:
        board = next((b for b in boards if b.id == source.board_id), None)
        if board is None:
            ctx.counts.skip("board", f"board {source.board_id} does not exist")
    elif boards:
        board = boards[0]
    columns = [c.label for c in board.columns] if board else []
    name = board.name if board else ""
    if columns == source.board_columns and name == source.board_name:
        return
    with transaction.atomic():
        source.board_columns, source.board_name = columns, name
        source.save(update_fields=["board_columns", "board_name"])
        issues = list(ctx.held().only("id", "labels", "state", "board_column"))
        for issue in issues:
            issue.board_column = board_column(issue.labels, issue.state, columns)
        TrackedIssue.objects.bulk_update(issues, ["board_column"], batch_size=1000)
    ctx.counts.note(f"board {name!r}: columns {', '.join(columns) or 'none'}")
