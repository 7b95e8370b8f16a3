"""Base-image evidence: is a subproject's image built on the base image it declares?

The registry proves it when the image's layers begin with a base build's layers for the same
architecture, or its annotations name a base build's digest. Evidence is computed when the tag's
digest changes (or, while unproven, when the base gets a new build); how many base builds the
tag is behind is refreshed for many tags at once.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, OuterRef, Subquery

from fedimage.health.models import BaseEvidence, DigestRecord, TagState, WatchedImage

# How far back base-image builds are searched for the one a subproject image is built on.
BASE_RECORDS_SEARCHED = 200
PROVEN = frozenset({BaseEvidence.LAYERS, BaseEvidence.ANNOTATION})
_BEHIND_WORDS = re.compile(r"; (the newest base build|\d+ base builds? behind)$")


def base_evidence_update(*, image: WatchedImage, state: TagState, now: datetime) -> None:
    """Check the current digest against the base image's recorded builds; count builds behind."""
    base = image.base
    if base is None:
        return
    state.base_checked_at = now
    record = (
        DigestRecord.objects.filter(tag=state, digest=state.digest)
        .order_by("-first_seen", "-id")
        .first()
    )
    if record is None:
        return
    candidates = list(
        DigestRecord.objects.filter(tag__image=base)
        .select_related("tag")
        .order_by("-first_seen", "-id")[:BASE_RECORDS_SEARCHED]
    )
    match: DigestRecord | None = None
    evidence, matched_arches = BaseEvidence.NONE, []
    for arch, own in sorted(record.details.items()):
        if arch.startswith("_"):
            continue
        found, kind = _match_base(own, arch, candidates)
        if found is not None:
            matched_arches.append(arch)
            if match is None or kind == BaseEvidence.LAYERS:
                match, evidence = found, kind
    base_ref = base.reference
    if match is not None:
        behind = DigestRecord.objects.filter(
            tag=match.tag_id, first_seen__gt=match.first_seen
        ).count()
        words = (
            f"built on {base_ref}:{match.tag.tag} "
            f"({match.version or match.digest[:19]}, seen {match.first_seen:%Y-%m-%d}) "
            f"for {', '.join(matched_arches)}"
        )
        state.base_evidence, state.base_record, state.builds_behind = evidence, match, behind
        state.base_words = _with_behind(words, behind)
        return
    named = any(
        base.repository in str(own.get("base_name") or "")
        for arch, own in record.details.items()
        if not arch.startswith("_")
    )
    state.base_record, state.builds_behind = None, None
    if named:
        state.base_evidence = BaseEvidence.NAMED_ONLY
        state.base_words = f"annotations name {base_ref}, but not a build fedimage has seen"
    else:
        state.base_evidence = BaseEvidence.NONE
        state.base_words = f"no layer or annotation shows it is built on {base_ref}"


def base_evidence_due(*, image: WatchedImage, states: list[TagState]) -> set[int]:
    """Ids of unproven tags whose base image has had a new build since their last check."""
    unproven = [s for s in states if s.digest and s.base_evidence not in PROVEN]
    if image.base_id is None or not unproven:
        return set()
    newest = DigestRecord.objects.filter(tag__image_id=image.base_id).aggregate(
        newest=Max("first_seen")
    )["newest"]
    if newest is None:
        return set()
    return {s.pk for s in unproven if s.base_checked_at is None or s.base_checked_at < newest}


def builds_behind_refresh(*, states: list[TagState]) -> list[TagState]:
    """Recount the base builds newer than each tag's base build (one query); return changed."""
    matched = [s for s in states if s.base_record_id is not None]
    if not matched:
        return []
    newer = (
        DigestRecord.objects.filter(
            tag_id=OuterRef("tag_id"), first_seen__gt=OuterRef("first_seen")
        )
        .order_by()
        .values("tag_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    counts = dict(
        DigestRecord.objects.filter(pk__in={s.base_record_id for s in matched})
        .annotate(behind=Subquery(newer[:1]))
        .values_list("pk", "behind")
    )
    changed = []
    for state in matched:
        if state.base_record_id not in counts:
            continue
        behind = counts[state.base_record_id] or 0
        if behind != state.builds_behind:
            state.builds_behind = behind
            state.base_words = _with_behind(_BEHIND_WORDS.sub("", state.base_words), behind)
            changed.append(state)
    return changed


def _with_behind(words: str, behind: int) -> str:
    suffix = "; the newest base build" if behind == 0 else f"; {behind} base builds behind"
    return words[: 300 - len(suffix)] + suffix


def _match_base(
    own: dict[str, Any], arch: str, candidates: list[DigestRecord]
) -> tuple[DigestRecord | None, BaseEvidence]:
    layers = own.get("layers") or []
    base_digest = own.get("base_digest")
    for candidate in candidates:  # newest first
        theirs = candidate.details.get(arch)
        if not isinstance(theirs, dict):
            continue
        if base_digest and base_digest in (candidate.digest, theirs.get("manifest")):
            return candidate, BaseEvidence.ANNOTATION
        base_layers = theirs.get("layers") or []
        if base_layers and layers[: len(base_layers)] == base_layers:
            return candidate, BaseEvidence.LAYERS
    return None, BaseEvidence.NONE
