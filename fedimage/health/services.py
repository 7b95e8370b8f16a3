"""Writes and workflows of image health: polling, evaluation, history, thinning, auto-blockers.

A poll has two phases per tag. First the network (no transaction held open): a HEAD on the tag,
and only when the digest differs from the last one fully read, the manifests and configs; then a
signature check. Then one transaction records what was seen and what it means: a new digest row,
the state with its reason in words, a state change row, a sample, and the blocker of an incident.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from fedimage.core.durations import duration_words
from fedimage.health import events
from fedimage.health.clients.registry import (
    ANNOTATION_BASE_NAME,
    ImageInfo,
    NotFound,
    RegistryClient,
    RegistryError,
    RegistryGarbage,
    RegistryUnavailable,
)
from fedimage.health.models import (
    INCIDENT_STATES,
    STATE_RANK,
    BaseEvidence,
    DigestRecord,
    HealthState,
    Sample,
    StateChange,
    TagState,
    WatchedImage,
)
from fedimage.initiative.models import Blocker, BlockerStatus, Category, Severity
from fedimage.initiative.services import blocker_file, blocker_update

logger = logging.getLogger(__name__)

SYSTEM_USERNAME = "health-check"
DEFAULT_TIMEOUT = 15.0
# How far back base-image builds are searched for the one a subproject image is built on.
BASE_RECORDS_SEARCHED = 200
# Digest records keep their per-architecture layer lists (~20 KB a build) this long, and the
# newest few per tag keep them whatever their age; older ones keep everything else.
DIGEST_DETAILS_FULL_FOR = timedelta(days=30)
DIGEST_DETAILS_KEEP_LATEST = 5


class PollThrottled(Exception):
    """The registry answered 429: the rest of the image's tags wait for a later poll."""

    def __init__(self, message: str, *, retry_after: float | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class TagOutcome:
    tag: str
    state: str
    reason: str
    digest: str
    new_digest: bool
    changed: bool


@dataclass
class PollReport:
    image: WatchedImage
    outcomes: list[TagOutcome] = field(default_factory=list)
    requests: int = 0
    throttled: PollThrottled | None = None


@dataclass(frozen=True)
class _Observation:
    """What the registry said about one tag; no database state involved."""

    kind: str  # ok | missing | unreachable | garbage
    reason: str = ""
    digest: str = ""
    info: ImageInfo | None = None
    signed: bool | None = None
    signature_checked: bool = False


def registry_client_for(image: WatchedImage, *, timeout: float = DEFAULT_TIMEOUT) -> RegistryClient:
    """Return a client of the image's registry, plain HTTP only when the file says insecure."""
    return RegistryClient(image.registry, insecure=image.insecure, timeout=timeout)


def system_user() -> User:
    """Return the account blockers opened by the health check are filed under."""
    user, created = get_user_model().objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"first_name": "Health", "last_name": "check"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def image_poll(
    *, image: WatchedImage, client: RegistryClient | None = None, now: datetime | None = None
) -> PollReport:
    """Poll every active tag of an image and record what it means; one bad tag never stops the rest.

    Raises nothing for registry failures: they become the tag's state, and an unexpected error
    on one tag makes that tag garbage (and is logged). A 429 stops the poll and is returned in
    `report.throttled` (tags not yet polled keep their state until the next poll).
    """
    own_client = client is None
    client = client or registry_client_for(image)
    start_count = client.request_count
    report = PollReport(image=image)
    try:
        states = list(image.tag_states.filter(active=True).order_by("order", "tag"))
        for state in states:
            try:
                outcome = _poll_tag(client, image, state, now)
            except PollThrottled as throttled:
                report.throttled = throttled
                break
            report.outcomes.append(outcome)
    finally:
        report.requests = client.request_count - start_count
        if own_client:
            client.close()
    return report


def _poll_tag(
    client: RegistryClient, image: WatchedImage, state: TagState, now: datetime | None
) -> TagOutcome:
    try:
        observation = _observe(client, image, state)
        return _record(image=image, state_id=state.pk, observation=observation, now=now)
    except (PollThrottled, SoftTimeLimitExceeded):
        raise
    except Exception as exc:
        # Something the registry sent that fedimage failed to read or store (a bug, or content
        # the database refuses): the tag says so, and the image's other tags are still polled.
        logger.exception("health: %s:%s: poll failed", image.reference, state.tag)
        garbage = _Observation(
            "garbage",
            reason=f"fedimage could not read or store its answer ({type(exc).__name__}; "
            "see the worker log)",
        )
        return _record(image=image, state_id=state.pk, observation=garbage, now=now)


def _observe(client: RegistryClient, image: WatchedImage, state: TagState) -> _Observation:
    repo, tag = image.repository, state.tag
    where = f"{image.reference}:{tag}"
    try:
        head = client.head_manifest(repo, tag)
    except NotFound as exc:
        return _Observation("missing", reason=f"{where} does not exist ({_short(exc)})")
    except RegistryError as exc:
        return _failure(image, exc)
    try:
        info = None
        if head.digest != state.digest or not state.digest:
            info = client.inspect(repo, tag)
            if info.digest != head.digest:
                # The GET is verified against its own Docker-Content-Digest, or hashed when it
                # has none; only this ties the content to the digest the HEAD announced.
                return _Observation(
                    "garbage",
                    reason=f"{image.registry} answered garbage: the HEAD of {tag} names "
                    f"{head.digest}, but the manifest it served is {info.digest}",
                )
        digest = head.digest
        signed, checked = state.signed, False
        # A new digest is always checked; an unsigned one again while a signature is expected
        # (signatures are often pushed minutes after the image).
        if info is not None or (image.signature_expected and state.signed is not True):
            signed, checked = client.signature(repo, digest) is not None, True
    except NotFound as exc:
        if exc.url and exc.url.endswith(f"/manifests/{tag}"):
            return _Observation("missing", reason=f"{where} disappeared while being read")
        # The tag resolves, but what it points at is not there: a broken image, not a missing one.
        return _Observation("garbage", reason=f"the tag points at content that is missing: {exc}")
    except RegistryError as exc:
        return _failure(image, exc)
    return _Observation("ok", digest=digest, info=info, signed=signed, signature_checked=checked)


def _failure(image: WatchedImage, exc: RegistryError) -> _Observation:
    if isinstance(exc, RegistryUnavailable):
        if exc.status == 429:
            raise PollThrottled(f"{image.reference}: {exc}", retry_after=exc.retry_after) from exc
        return _Observation("unreachable", reason=f"{image.registry} did not answer: {exc}")
    if isinstance(exc, RegistryGarbage):
        return _Observation("garbage", reason=f"{image.registry} answered garbage: {exc.reason}")
    # Any other client error is still the registry's doing, never a healthy or missing tag.
    return _Observation("garbage", reason=f"{image.registry}: {exc}")


def _short(exc: Exception) -> str:
    text = str(exc)
    return text[text.rfind("(") + 1 : -1] if text.endswith(")") and "(" in text else text


@transaction.atomic
def _record(
    *, image: WatchedImage, state_id: int, observation: _Observation, now: datetime | None
) -> TagOutcome:
    now = now or timezone.now()
    state = (
        TagState.objects.select_for_update(of=("self",)).select_related("blocker").get(pk=state_id)
    )
    old_state = state.state
    new_digest = False
    if observation.kind == "ok":
        if observation.info is not None and observation.info.digest != state.digest:
            _record_digest(state, observation.info, observation.signed, now)
            new_digest = True
        if observation.signature_checked:
            state.signed = observation.signed
            if not new_digest and observation.signed:
                DigestRecord.objects.filter(tag=state, digest=state.digest).update(signed=True)
        state.state, state.reason = _evaluate(image, state, now)
        if image.base_id:
            _update_base_evidence(image, state)
    else:
        state.state = {
            "missing": HealthState.MISSING,
            "unreachable": HealthState.UNREACHABLE,
            "garbage": HealthState.GARBAGE,
        }[observation.kind]
        state.reason = observation.reason
    changed = state.state != old_state
    if changed:
        state.state_since = now
        StateChange.objects.create(
            tag=state,
            at=now,
            old_state=old_state,
            new_state=state.state,
            reason=state.reason,
            digest=state.digest if observation.kind == "ok" else "",
        )
    was_unhealthy = state.unhealthy_since is not None
    if state.state in INCIDENT_STATES:
        state.unhealthy_since = state.unhealthy_since or now
    elif state.state == HealthState.HEALTHY:
        state.unhealthy_since = None
    # Unreachable and garbage say nothing about the image: the incident clock neither starts
    # nor stops.
    events.tag_checked.send(sender=TagState, state=state, was_unhealthy=was_unhealthy)
    state.checked_at = now
    Sample.objects.create(
        tag=state,
        at=now,
        state=state.state,
        digest=state.digest if observation.kind == "ok" else "",
    )
    _sync_blocker(image, state, now)
    state.save()
    return TagOutcome(
        tag=state.tag,
        state=state.state,
        reason=state.reason,
        digest=state.digest,
        new_digest=new_digest,
        changed=changed,
    )


def _record_digest(state: TagState, info: ImageInfo, signed: bool | None, now: datetime) -> None:
    built = [arch.created for arch in info.architectures if arch.created]
    version = next((arch.version for arch in info.architectures if arch.version), "") or ""
    arches = sorted(info.arch_names - {""})
    details: dict[str, Any] = {
        arch.architecture or "unknown": {
            "os": arch.os,
            "variant": arch.variant,
            "manifest": arch.manifest_digest,
            "config": arch.config_digest,
            "created": arch.created.isoformat() if arch.created else None,
            "version": arch.version,
            "layers": list(arch.layers),
            "base_name": arch.base_name,
            "base_digest": arch.base_digest,
        }
        for arch in info.architectures
    }
    if info.annotations.get(ANNOTATION_BASE_NAME):
        details["_index"] = {"annotations": dict(info.annotations)}
    DigestRecord.objects.create(
        tag=state,
        digest=info.digest,
        media_type=info.media_type,
        first_seen=now,
        built_at=max(built) if built else None,
        version=version[:100],
        arches=arches,
        details=details,
        signed=signed,
    )
    state.digest = info.digest
    state.media_type = info.media_type
    state.digest_seen_at = now
    state.built_at = max(built) if built else None
    state.version = version[:100]
    state.arches = arches


def _evaluate(image: WatchedImage, state: TagState, now: datetime) -> tuple[str, str]:
    """Say how healthy a fully read tag is, and why, in words."""
    problems: list[str] = []
    missing = [arch for arch in image.expected_arches if arch not in state.arches]
    if missing:
        problems.append(f"no {', '.join(missing)} build (has {', '.join(state.arches) or 'none'})")
    if image.signature_expected and state.signed is False:
        problems.append("not signed (no cosign signature tag or signature referrer)")
    # A tag is as fresh as its oldest expected architecture: one stale build is a stale tag.
    builds = _arch_builds(state)
    judged = {a: builds[a] for a in image.expected_arches or list(builds) if a in builds}
    built = min(judged.values()) if judged else state.built_at or state.digest_seen_at
    built_words = (
        "built" if judged or state.built_at else "first seen (no build time in its config)"
    )
    max_age = image.max_age
    stale = bool(max_age and built and now - built > max_age)
    if stale and max_age:
        old = [a for a, at in judged.items() if now - at > max_age]
        if len(old) < len(judged):
            built_words = f"{', '.join(old)} built"
    age_words = "build time unknown"
    if built:
        age_words = f"{built_words} {duration_words(now - built)} ago"
    if stale:
        problems.insert(0, f"{age_words}, objective {duration_words(max_age)}")
    if stale:
        return HealthState.STALE, "; ".join(problems)
    if problems:
        return HealthState.DEGRADED, "; ".join(problems) + f"; {age_words}"
    facts = [age_words, f"all {len(image.expected_arches)} expected architectures"]
    if image.signature_expected:
        facts.append("signed")
    return HealthState.HEALTHY, ", ".join(facts)


def _arch_builds(state: TagState) -> dict[str, datetime]:
    """Return the build time of each architecture of the tag's digest, from its digest record."""
    details = (
        DigestRecord.objects.filter(tag=state, digest=state.digest)
        .order_by("-first_seen", "-id")
        .values_list("details", flat=True)
        .first()
    )
    builds: dict[str, datetime] = {}
    for arch, own in (details or {}).items():
        created = own.get("created") if isinstance(own, dict) else None
        if not arch.startswith("_") and isinstance(created, str):
            builds[arch] = datetime.fromisoformat(created)
    return builds


def _update_base_evidence(image: WatchedImage, state: TagState) -> None:
    """Check the current digest against the base image's recorded builds; count builds behind."""
    base = image.base
    if base is None:
        return
    record = DigestRecord.objects.filter(tag=state, digest=state.digest).first()
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
        words += "; the newest base build" if behind == 0 else f"; {behind} base builds behind"
        state.base_evidence, state.base_record, state.builds_behind = evidence, match, behind
        state.base_words = words[:300]
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


def _sync_blocker(image: WatchedImage, state: TagState, now: datetime) -> None:
    """Open a blocker when an incident outlasts the grace period; resolve it on recovery."""
    if (
        state.state in INCIDENT_STATES
        and state.blocker_id is None
        and state.unhealthy_since is not None
        and now - state.unhealthy_since >= image.grace
    ):
        state.blocker = _file_incident_blocker(image, state)
        return
    if state.state == HealthState.HEALTHY and state.blocker_id is not None:
        blocker = state.blocker
        if blocker is not None and not blocker.is_closed:
            note = (
                f"\n\n**Resolved by the health check** on {now:%Y-%m-%d %H:%M} UTC: "
                f"{image.reference}:{state.tag} is healthy again ({state.reason})."
            )
            blocker_update(
                blocker=blocker,
                user=system_user(),
                status=BlockerStatus.RESOLVED,
                description=blocker.description + note,
            )
        state.blocker = None


def _file_incident_blocker(image: WatchedImage, state: TagState) -> Blocker:
    ref = f"{image.reference}:{state.tag}"
    label = HealthState(state.state).label.lower()
    description = (
        f"The health check finds **{ref}** {label} since "
        f"{state.unhealthy_since:%Y-%m-%d %H:%M} UTC: {state.reason}.\n\n"
        f"Opened automatically after the grace period of {image.grace_hours} hours; it is "
        "resolved automatically when the tag is healthy again."
    )
    return blocker_file(
        reporter=system_user(),
        title=f"{ref} is {label}"[:200],
        description=description,
        severity=Severity.MAJOR if state.state != HealthState.MISSING else Severity.CRITICAL,
        category=Category.INFRASTRUCTURE,
        milestones=[image.milestone] if image.milestone is not None else [],
        subprojects=[image.subproject] if image.subproject is not None else [],
        tracking_url="",
    )


def samples_thin(
    *,
    now: datetime | None = None,
    raw_for: timedelta = timedelta(days=2),
    hourly_for: timedelta = timedelta(days=30),
    keep_for: timedelta = timedelta(days=400),
) -> int:
    """Thin old samples: all kept for `raw_for`, then one an hour, then one a day, then none.

    The sample kept in each bucket is the worst one, so a short outage stays visible in the
    history strip; state changes and digests are kept in full elsewhere. Returns rows deleted.
    """
    now = now or timezone.now()
    deleted, _ = Sample.objects.filter(at__lt=now - keep_for).delete()
    for start, end, bucket in (
        (now - hourly_for, now - raw_for, "hour"),
        (now - keep_for, now - hourly_for, "day"),
    ):
        doomed: list[int] = []
        best: dict[tuple[int, str], tuple[int, int]] = {}
        rows = (
            Sample.objects.filter(at__gte=start, at__lt=end)
            .order_by("tag_id", "at", "id")
            .values_list("id", "tag_id", "at", "state")
        )
        for pk, tag_id, at, state in rows.iterator(chunk_size=5000):
            key = (tag_id, at.strftime("%Y%m%d%H" if bucket == "hour" else "%Y%m%d"))
            rank = STATE_RANK.get(state, 0)
            kept = best.get(key)
            if kept is None:
                best[key] = (pk, rank)
            elif rank > kept[1]:
                doomed.append(kept[0])
                best[key] = (pk, rank)
            else:
                doomed.append(pk)
        for i in range(0, len(doomed), 5000):
            deleted += Sample.objects.filter(pk__in=doomed[i : i + 5000]).delete()[0]
    return deleted


def digests_thin(
    *,
    now: datetime | None = None,
    full_for: timedelta = DIGEST_DETAILS_FULL_FOR,
    keep_latest: int = DIGEST_DETAILS_KEEP_LATEST,
    batch_size: int = 500,
) -> int:
    """Drop the layer lists of old digest records; return how many records were thinned.

    Kept in full: records first seen within `full_for`, the newest `keep_latest` of each tag
    (a tag's current digest among them) and every base build a tag's evidence points at, so
    base-image evidence for current digests keeps working. A thinned record keeps its digest,
    build time, version, arches, signature and, per architecture, the manifest and config
    digests and base annotations (annotation evidence still matches it); the history and
    cadence pages need nothing more.
    """
    now = now or timezone.now()
    ranked = DigestRecord.objects.annotate(
        rank=Window(
            RowNumber(),
            partition_by=[F("tag_id")],
            order_by=[F("first_seen").desc(), F("id").desc()],
        )
    ).filter(rank__lte=max(keep_latest, 1))
    protected = set(ranked.values_list("pk", flat=True))
    protected.update(
        TagState.objects.filter(base_record__isnull=False).values_list("base_record_id", flat=True)
    )
    rows = (
        DigestRecord.objects.filter(thinned=False, first_seen__lt=now - full_for)
        .order_by("pk")
        .only("pk", "details")
    )
    thinned = 0
    batch: list[DigestRecord] = []
    for record in rows.iterator(chunk_size=batch_size):
        if record.pk in protected:
            continue
        record.details = _details_without_layers(record.details)
        record.thinned = True
        batch.append(record)
        if len(batch) >= batch_size:
            thinned += _save_thinned(batch)
            batch = []
    if batch:
        thinned += _save_thinned(batch)
    return thinned


def _details_without_layers(details: dict[str, Any]) -> dict[str, Any]:
    light: dict[str, Any] = {}
    for key, value in details.items():
        if isinstance(value, dict) and "layers" in value:
            value = {k: v for k, v in value.items() if k != "layers"}
            value["layer_count"] = len(details[key]["layers"] or [])
        light[key] = value
    return light


def _save_thinned(batch: list[DigestRecord]) -> int:
    with transaction.atomic():
        DigestRecord.objects.bulk_update(batch, ["details", "thinned"])
    return len(batch)
