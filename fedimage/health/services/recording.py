"""The database half of a poll: what was seen, what it means, written in proportion to change.

Tags whose poll changed nothing that matters (same digest, same state, no blocker to open or
resolve) are confirmed together, whatever their number: on PostgreSQL one statement sets their
`checked_at`, appends to their strip of recent checks and inserts their samples, and one more
writes the reasons (or base-image words) that did change, if any; elsewhere (SQLite) one bulk
UPDATE and one INSERT. A tag that moved, changed state or needs its blocker touched gets its own
transaction: its row locked, a digest record, a state change, the domain event, the blocker.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from statistics import median
from typing import Any

from django.db import connection, transaction

from fedimage.health import events
from fedimage.health.models import (
    INCIDENT_STATES,
    DigestFacts,
    DigestRecord,
    HealthState,
    Sample,
    StateChange,
    TagState,
    WatchedImage,
)
from fedimage.health.services.evaluation import DigestView, digest_view, evaluate
from fedimage.health.services.evidence import (
    base_evidence_due,
    base_evidence_update,
    builds_behind_refresh,
)
from fedimage.health.services.incidents import blocker_due, incident_blocker_sync
from fedimage.health.services.reading import PollRead, TagRead

logger = logging.getLogger(__name__)

CADENCE_DIGESTS = 8
FAILURE_STATES = {
    "missing": HealthState.MISSING,
    "unreachable": HealthState.UNREACHABLE,
    "garbage": HealthState.GARBAGE,
}
QUIET_FIELDS = ["reason", "checked_at", "recent", "builds_behind", "base_words"]
# What else an unchanged tag's poll may change, with its PostgreSQL type.
WORD_FIELDS = {"reason": "text", "builds_behind": "integer", "base_words": "text"}


@dataclass(frozen=True)
class TagOutcome:
    tag: str
    state: str
    reason: str
    digest: str
    new_digest: bool
    changed: bool


def poll_record(*, image: WatchedImage, read: PollRead, now: datetime) -> list[TagOutcome]:
    """Write one poll's reading of an image's tags; return each tag's outcome in tag order."""
    _facts_save(image, read, now)
    views = {
        tag.digest: digest_view(tag.digest, read.facts, now=now)
        for tag in read.tags
        if tag.kind == "ok" and tag.new
    }
    evidence_due = base_evidence_due(image=image, states=[t.state for t in read.tags])
    quiet: list[tuple[TagState, str, TagState]] = []  # as recorded, the read's kind, as loaded
    outcomes: dict[int, TagOutcome] = {}
    for tag in read.tags:
        preview = copy.copy(tag.state)
        _apply(image, preview, tag, views.get(tag.digest), now)
        if (
            not (tag.kind == "ok" and tag.new)
            and preview.state == tag.state.state
            and preview.signed == tag.state.signed
            and not blocker_due(image=image, state=preview, now=now)
            and tag.state.pk not in evidence_due
        ):
            quiet.append((preview, tag.kind, tag.state))
            outcomes[preview.pk] = _outcome(preview, new_digest=False, changed=False)
        else:
            outcomes[tag.state.pk] = _record_tag(image, tag, views.get(tag.digest), now)
    if quiet:
        builds_behind_refresh(states=[state for state, _, _ in quiet])
        if connection.vendor == "postgresql":
            _quiet_confirm_postgresql(quiet, now)
        else:
            with transaction.atomic():
                TagState.objects.bulk_update([state for state, _, _ in quiet], QUIET_FIELDS)
                Sample.objects.bulk_create(
                    Sample(tag=s, at=now, state=s.state, digest=s.digest if kind == "ok" else "")
                    for s, kind, _ in quiet
                )
    return [outcomes[tag.state.pk] for tag in read.tags]


def _quiet_confirm_postgresql(quiet: list[tuple[TagState, str, TagState]], now: datetime) -> None:
    """Confirm unchanged tags in one statement, plus one for the words that changed, if any.

    The strip of recent checks is extended in the database (the same `[ISO 8601, state]` pair
    `_apply` appends), so an unchanged tag sends nothing of its own but its id.
    """
    quote = connection.ops.quote_name
    tags, samples = quote(TagState._meta.db_table), quote(Sample._meta.db_table)
    confirm = f"""
        WITH confirmed AS (
            UPDATE {tags} SET checked_at = %(now)s, recent = jsonb_path_query_array(
                recent || jsonb_build_array(jsonb_build_array(%(at)s::text, state)),
                %(window)s::jsonpath)
            WHERE id = ANY(%(ids)s) RETURNING id, state, digest
        )
        INSERT INTO {samples} (tag_id, at, state, digest)
        SELECT id, %(now)s, state, CASE WHEN id = ANY(%(read)s) THEN digest ELSE '' END
        FROM confirmed ORDER BY id
    """  # noqa: S608 (table names from the models; every value is a parameter)
    params: dict[str, Any] = {
        "now": now,
        "at": now.isoformat(),
        "window": f"$[last - {TagState.RECENT_LENGTH - 1} to last]",
        "ids": [state.pk for state, _, _ in quiet],
        "read": [state.pk for state, kind, _ in quiet if kind == "ok"],
    }
    words = [
        field
        for field in WORD_FIELDS
        if any(getattr(state, field) != getattr(was, field) for state, _, was in quiet)
    ]
    if not words:
        with connection.cursor() as cursor:
            cursor.execute(confirm, params)
        return
    moved = [
        state
        for state, _, was in quiet
        if any(getattr(state, field) != getattr(was, field) for field in words)
    ]
    column = {f.name: f.column or f.name for f in TagState._meta.concrete_fields}
    names = [quote(column[field]) for field in words]
    columns = ", ".join(f"{name} = v.{name}" for name in names)
    arrays = ", ".join(f"%s::{WORD_FIELDS[field]}[]" for field in words)
    update = f"""
        UPDATE {tags} AS t SET {columns}
        FROM unnest(%s::bigint[], {arrays}) AS v(id, {", ".join(names)})
        WHERE t.id = v.id
    """  # noqa: S608 (column names from WORD_FIELDS; every value is a parameter)
    values = [[getattr(state, field) for state in moved] for field in words]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(confirm, params)
        cursor.execute(update, [[state.pk for state in moved], *values])


def _facts_save(image: WatchedImage, read: PollRead, now: datetime) -> None:
    """Keep what was read by digest: new rows, signatures asked again, digests seen again."""
    if read.new_facts:
        for new in read.new_facts:
            new.first_seen = new.last_seen = now
        # Another poll of a tag sharing a digest may have stored it meanwhile: same content.
        DigestFacts.objects.bulk_create(read.new_facts, ignore_conflicts=True)
    if read.signed_facts:
        DigestFacts.objects.bulk_update(read.signed_facts, ["signed", "signature_checked_at"])
    moved = {tag.digest for tag in read.tags if tag.kind == "ok" and tag.new}
    if moved:
        seen = set(moved)
        for digest in moved:
            top = read.facts.get(digest)
            seen.update(entry["digest"] for entry in (top.platforms if top else []))
        DigestFacts.objects.filter(
            registry=image.registry, repository=image.repository, digest__in=sorted(seen)
        ).update(last_seen=now)


def _apply(
    image: WatchedImage, state: TagState, tag: TagRead, view: DigestView | None, now: datetime
) -> None:
    """Set what the poll says on a tag's row (in memory): digest facts, state, reason, strip."""
    if tag.kind == "ok":
        if view is not None:
            state.digest, state.media_type = view.digest, view.media_type
            state.arches = view.arch_names
            state.arch_builds = view.arch_builds()
            newest = view.newest_build
            state.built_at = newest.at if newest else None
            state.built_source = newest.source if newest else ""
            state.version = view.version[:100]
            state.digest_seen_at = now
        if view is not None or tag.signature_checked:
            state.signed = tag.signed
        state.state, state.reason = evaluate(image, state, now)
    else:
        state.state, state.reason = FAILURE_STATES[tag.kind], tag.reason
    if state.state in INCIDENT_STATES:
        state.unhealthy_since = state.unhealthy_since or now
    elif state.state == HealthState.HEALTHY:
        state.unhealthy_since = None
    # Unreachable and garbage say nothing about the image: the incident clock neither starts
    # nor stops.
    state.checked_at = now
    recent = [*state.recent, [now.isoformat(), state.state]]
    state.recent = recent[-TagState.RECENT_LENGTH :]


def _record_tag(
    image: WatchedImage, tag: TagRead, view: DigestView | None, now: datetime
) -> TagOutcome:
    try:
        return _record_change(image, tag, view, now)
    except Exception as exc:
        # Something the registry sent that fedimage failed to store (a bug, or content the
        # database refuses): the tag says so, and the image's other tags are still recorded.
        logger.exception("health: %s:%s: poll failed", image.reference, tag.state.tag)
        garbage = TagRead(
            tag.state,
            kind="garbage",
            reason=f"fedimage could not read or store its answer ({type(exc).__name__}; "
            "see the worker log)",
        )
        return _record_change(image, garbage, None, now)


@transaction.atomic
def _record_change(
    image: WatchedImage, tag: TagRead, view: DigestView | None, now: datetime
) -> TagOutcome:
    state = (
        TagState.objects.select_for_update(of=("self",))
        .select_related("blocker")
        .get(pk=tag.state.pk)
    )
    old_state, was_unhealthy = state.state, state.unhealthy_since is not None
    new_digest = view is not None and view.digest != state.digest
    _apply(image, state, tag, view if new_digest else None, now)
    if new_digest and view is not None:
        _record_digest(state, view, now)
    elif tag.kind == "ok" and tag.signature_checked and tag.signed:
        DigestRecord.objects.filter(tag=state, digest=state.digest).update(signed=True)
    if tag.kind == "ok" and image.base_id:
        base_evidence_update(image=image, state=state, now=now)
    changed = state.state != old_state
    if changed:
        state.state_since = now
        StateChange.objects.create(
            tag=state,
            at=now,
            old_state=old_state,
            new_state=state.state,
            reason=state.reason,
            digest=state.digest if tag.kind == "ok" else "",
        )
    events.tag_checked.send(sender=TagState, state=state, was_unhealthy=was_unhealthy)
    Sample.objects.create(
        tag=state, at=now, state=state.state, digest=state.digest if tag.kind == "ok" else ""
    )
    incident_blocker_sync(image=image, state=state, now=now)
    state.save()
    return _outcome(state, new_digest=new_digest, changed=changed)


def _record_digest(state: TagState, view: DigestView, now: datetime) -> None:
    newest = view.newest_build
    latest = DigestRecord.objects.filter(tag=state).order_by("-first_seen", "-id").first()
    if latest is not None and latest.digest == view.digest:
        # Read again (its facts were forgotten), not rebuilt: the history already has it.
        latest.built_at = newest.at if newest else None
        latest.built_source = newest.source if newest else ""
        latest.save(update_fields=["built_at", "built_source"])
        return
    DigestRecord.objects.create(
        tag=state,
        digest=view.digest,
        media_type=view.media_type,
        first_seen=now,
        built_at=newest.at if newest else None,
        built_source=newest.source if newest else "",
        version=view.version[:100],
        arches=view.arch_names,
        details=view.details(),
        signed=state.signed,
    )
    moments = sorted(
        built or seen
        for built, seen in DigestRecord.objects.filter(tag=state)
        .order_by("-first_seen", "-id")
        .values_list("built_at", "first_seen")[:CADENCE_DIGESTS]
    )
    gaps = [b - a for a, b in pairwise(moments) if b > a]
    # median only sorts, adds and halves, which timedeltas support; typeshed admits numbers.
    state.cadence = median(gaps) if gaps else None  # type: ignore[type-var]


def _outcome(state: TagState, *, new_digest: bool, changed: bool) -> TagOutcome:
    return TagOutcome(
        tag=state.tag,
        state=state.state,
        reason=state.reason,
        digest=state.digest,
        new_digest=new_digest,
        changed=changed,
    )
