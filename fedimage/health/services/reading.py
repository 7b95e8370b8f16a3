"""The network half of a poll: what the registry says about each tag, reading only what is new.

A tag whose digest is known costs one HEAD; a tag never read costs one GET by tag (the manifest
and its digest in one atomic answer). Everything else is read by digest, so a tag re-pushed while
it is being read never mixes two builds: the digest the HEAD named is the one described.
What a digest holds is kept in `DigestFacts` and never read again: a rebuilt index costs its own
GET plus the platform manifests and configs that changed. Requests of one phase (heads, tops,
platform manifests, configs, signatures) are in flight together on the registry's shared pool.

No database writes happen here; the facts loaded or read are handed to `recording`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from fedimage.health.clients.errors import (
    NotFound,
    RegistryError,
    RegistryGarbage,
    RegistryUnavailable,
)
from fedimage.health.clients.lookaside import simple_signature
from fedimage.health.clients.oci import (
    ANNOTATION_BASE_DIGEST,
    ANNOTATION_BASE_NAME,
    LABEL_CREATED,
    LABEL_VERSION,
    ImageConfig,
    ImageManifest,
    ManifestIndex,
)
from fedimage.health.clients.registry import RegistryClient
from fedimage.health.models import DigestFacts, TagState, WatchedImage

logger = logging.getLogger(__name__)

T = TypeVar("T")
Outcome = Any  # a client call's result, or the exception it raised


@dataclass
class TagRead:
    """What this poll learned about one tag; `kind` is ok, missing, unreachable or garbage."""

    state: TagState
    kind: str = "ok"
    reason: str = ""
    digest: str = ""
    new: bool = False  # the digest is not the one the tag's state was last read at
    signed: bool | None = None
    signature_checked: bool = False


@dataclass
class PollRead:
    tags: list[TagRead]
    facts: dict[str, DigestFacts] = field(default_factory=dict)  # by digest, loaded or new
    new_facts: list[DigestFacts] = field(default_factory=list)
    signed_facts: list[DigestFacts] = field(default_factory=list)  # signature asked again
    throttled: RegistryUnavailable | None = None


class Throttled(Exception):
    """Raised in place of requests not sent because the registry answered 429 meanwhile."""


class Reader:
    """Read one image's tags through a client, with `in_flight` requests at once."""

    def __init__(
        self,
        *,
        client: RegistryClient,
        image: WatchedImage,
        now: datetime,
        in_flight: int,
        recheck_signatures_after: timedelta,
        on_heads: Callable[[int, int], None] | None = None,
    ) -> None:
        self.client = client
        self.image = image
        self.repo = image.repository
        self.now = now
        self.in_flight = max(1, in_flight)
        self.recheck_after = recheck_signatures_after
        self.on_heads = on_heads
        self._throttle: RegistryUnavailable | None = None
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None

    def read(self, states: list[TagState]) -> PollRead:
        with ThreadPoolExecutor(self.in_flight, thread_name_prefix="health-poll") as executor:
            self._executor = executor
            try:
                return self._read(states)
            finally:
                self._executor = None

    def _read(self, states: list[TagState]) -> PollRead:
        result = PollRead(tags=[TagRead(state) for state in states])
        # Phase 1: where each tag points (one request per tag).
        docs: dict[str, ManifestIndex | ImageManifest] = {}
        refs = {
            read.state.tag: (self.client.head_manifest if read.state.digest else self._get_by_tag)
            for read in result.tags
        }
        answers = self._map(lambda tag: refs[tag](self.repo, tag), list(refs))
        for read in result.tags:
            answer = answers[read.state.tag]
            if isinstance(answer, Exception):
                self._fail(read, answer, by_tag=True)
                continue
            if isinstance(answer, ManifestIndex | ImageManifest):
                docs[answer.digest] = answer
            read.digest = answer.digest
            read.new = answer.digest != read.state.digest
        if self._throttle:
            return self._stop(result)
        if self.on_heads is not None:
            self.on_heads(len(result.tags), sum(1 for read in result.tags if read.new))
        # Phase 2: the tops this poll needs described: new digests, and unsigned ones whose
        # expected signature is due another look.
        recheck = {
            read.digest
            for read in result.tags
            if read.kind == "ok" and not read.new and self._signature_due(read.state)
        }
        wanted = {read.digest for read in result.tags if read.kind == "ok" and read.new}
        result.facts = self._load(digests=wanted | recheck)
        for read in result.tags:
            if read.kind == "ok" and not read.new and read.digest in recheck:
                # Read before facts were kept by digest (or their row is gone): read it again.
                read.new = read.digest not in result.facts
        wanted = {read.digest for read in result.tags if read.kind == "ok" and read.new}
        errors: dict[str, Exception] = {}
        missing = sorted(wanted - result.facts.keys() - docs.keys())
        for digest, answer in self._map(self._get_by_digest, missing).items():
            if isinstance(answer, Exception):
                errors[digest] = answer
            else:
                docs[digest] = answer
        self._reread_vanished(result, errors, docs)
        if self._throttle:
            return self._stop(result)
        self._describe(result, docs, errors, tops=wanted)
        if self._throttle:
            return self._stop(result)
        self._check_signatures(result, errors)
        if self._throttle:
            return self._stop(result)
        for read in result.tags:
            if read.kind == "ok" and (read.new or read.digest in recheck):
                self._settle(read, result.facts, errors)
        return result

    def _get_by_tag(self, repo: str, tag: str) -> ManifestIndex | ImageManifest:
        return self.client.get_manifest(repo, tag)

    def _get_by_digest(self, digest: str) -> ManifestIndex | ImageManifest:
        return self.client.get_manifest(self.repo, digest)

    def _reread_vanished(
        self,
        result: PollRead,
        errors: dict[str, Exception],
        docs: dict[str, ManifestIndex | ImageManifest],
    ) -> None:
        """A digest gone between HEAD and GET means the tag was re-pushed: follow it once."""
        for read in result.tags:
            if read.kind != "ok" or not isinstance(errors.get(read.digest), NotFound):
                continue
            try:
                head = self.client.head_manifest(self.repo, read.state.tag)
                if head.digest != read.digest and head.digest not in docs:
                    docs[head.digest] = self._get_by_digest(head.digest)
            except NotFound as exc:
                if exc.url and exc.url.endswith(f"/manifests/{read.state.tag}"):
                    where = f"{self.image.reference}:{read.state.tag}"
                    read.kind, read.reason = "missing", f"{where} disappeared while being read"
                else:
                    self._fail(read, exc, by_tag=False)
                continue
            except RegistryError as exc:
                self._fail(read, exc, by_tag=True)
                continue
            if head.digest != read.digest:
                read.digest, read.new = head.digest, head.digest != read.state.digest

    def _describe(
        self,
        result: PollRead,
        docs: dict[str, ManifestIndex | ImageManifest],
        errors: dict[str, Exception],
        *,
        tops: set[str],
    ) -> None:
        """Turn new tops into facts, reading the platform manifests and configs not yet known."""
        tops = {read.digest for read in result.tags if read.kind == "ok" and read.new} | tops
        children: set[str] = set()
        for digest in tops:
            doc = docs.get(digest)
            if isinstance(doc, ManifestIndex):
                children.update(entry.digest for entry in doc.images)
            elif digest in result.facts:
                children.update(entry["digest"] for entry in result.facts[digest].platforms)
        result.facts.update(self._load(digests=children - result.facts.keys()))
        unknown = sorted(children - result.facts.keys() - docs.keys())
        for digest, answer in self._map(self._get_by_digest, unknown).items():
            if isinstance(answer, Exception):
                errors[digest] = answer
            elif isinstance(answer, ManifestIndex):
                errors[digest] = RegistryGarbage(f"index entry {digest} is itself an index")
            else:
                docs[digest] = answer
        images = [
            doc
            for digest, doc in docs.items()
            if isinstance(doc, ImageManifest) and digest not in result.facts
        ]
        configs = self._configs({doc.config_digest for doc in images}, errors)
        for doc in images:
            config = configs.get(doc.config_digest)
            if config is not None:
                row = _image_facts(self.image, doc, config)
                result.facts[doc.digest] = row
                result.new_facts.append(row)
        for digest in tops:
            doc = docs.get(digest)
            if isinstance(doc, ManifestIndex) and digest not in result.facts:
                row = _index_facts(self.image, doc)
                result.facts[digest] = row
                result.new_facts.append(row)

    def _configs(
        self, digests: set[str], errors: dict[str, Exception]
    ) -> dict[str, ImageConfig | DigestFacts]:
        """Return each config, from a known manifest with the same config or read once."""
        found: dict[str, ImageConfig | DigestFacts] = {}
        if digests:
            for row in DigestFacts.objects.filter(
                registry=self.image.registry,
                repository=self.repo,
                config_digest__in=sorted(digests),
            ):
                found.setdefault(row.config_digest, row)
        unread = sorted(digests - found.keys())
        read = self._map(lambda digest: self.client.get_config(self.repo, digest), unread)
        for digest, answer in read.items():
            if isinstance(answer, Exception):
                errors[digest] = answer
            else:
                found[digest] = answer
        return found

    def _check_signatures(self, result: PollRead, errors: dict[str, Exception]) -> None:
        due = sorted(
            {
                read.digest
                for read in result.tags
                if read.kind == "ok"
                and read.digest in result.facts
                and (
                    result.facts[read.digest].signed is None
                    or self._signature_due_for(result.facts[read.digest])
                )
            }
        )
        answers = self._map(self._signature, due)
        for digest, answer in answers.items():
            if isinstance(answer, Exception):
                errors[digest] = answer
                continue
            row = result.facts[digest]
            row.signed, row.signature_checked_at = answer is not None, self.now
            if row.pk is not None:
                result.signed_facts.append(row)

    def _signature(self, digest: str) -> Any:
        if self.image.signature_kind == "gpg" and self.image.signature_lookaside:
            return simple_signature(self.image.signature_lookaside, self.repo, digest)
        return self.client.signature(self.repo, digest)

    def _signature_due(self, state: TagState) -> bool:
        return self.image.signature_expected and state.signed is not True

    def _signature_due_for(self, row: DigestFacts) -> bool:
        if not self.image.signature_expected or row.signed is not False:
            return False
        checked = row.signature_checked_at
        return checked is None or self.now - checked >= self.recheck_after

    def _settle(self, read: TagRead, facts: dict[str, DigestFacts], errors: dict) -> None:
        """Give a tag the first error among the digests it depends on, or its signature."""
        top = facts.get(read.digest)
        depends = [read.digest]
        if top is not None and read.new:
            depends += [entry["digest"] for entry in top.platforms]
            depends += [top.config_digest] if top.config_digest else []
            for entry in top.platforms:
                child = facts.get(entry["digest"])
                if child is not None and child.config_digest:
                    depends.append(child.config_digest)
        for digest in depends:
            if digest in errors:
                self._fail(read, errors[digest], by_tag=False)
                return
        if top is None or (
            read.new and any(entry["digest"] not in facts for entry in top.platforms)
        ):
            error = RegistryGarbage(f"{read.digest} could not be described")
            self._fail(read, error, by_tag=False)
            return
        read.signed = top.signed
        read.signature_checked = top.signature_checked_at == self.now

    def _fail(self, read: TagRead, exc: Exception, *, by_tag: bool) -> None:
        where = f"{self.image.reference}:{read.state.tag}"
        registry = self.image.registry
        read.kind = "garbage"
        if isinstance(exc, RegistryUnavailable):
            if exc.status == 429:
                self._throttle = self._throttle or exc
            read.kind, read.reason = "unreachable", f"{registry} did not answer: {exc}"
        elif isinstance(exc, NotFound) and by_tag:
            read.kind, read.reason = "missing", f"{where} does not exist ({_short(exc)})"
        elif isinstance(exc, NotFound):
            # The tag resolves, but what it points at is not there: a broken image.
            read.reason = f"the tag points at content that is missing: {exc}"
        elif isinstance(exc, RegistryGarbage):
            read.reason = f"{registry} answered garbage: {exc.reason}"
        elif isinstance(exc, RegistryError):
            read.reason = f"{registry}: {exc}"
        else:
            read.reason = (
                f"fedimage could not read its answer ({type(exc).__name__}; see the worker log)"
            )

    def _stop(self, result: PollRead) -> PollRead:
        result.throttled = self._throttle
        return result

    def _load(self, *, digests: set[str]) -> dict[str, DigestFacts]:
        if not digests:
            return {}
        rows = DigestFacts.objects.filter(
            registry=self.image.registry, repository=self.repo, digest__in=sorted(digests)
        )
        return {row.digest: row for row in rows}

    def _map(self, call: Callable[[T], Any], items: Iterable[T]) -> dict[T, Outcome]:
        """Run `call` on every item with `in_flight` at once; an exception is the outcome."""
        items = list(items)
        if not items:
            return {}

        def guarded(item: T) -> Outcome:
            if self._throttle is not None:
                return Throttled()
            try:
                return call(item)
            except RegistryUnavailable as exc:
                if exc.status == 429:
                    with self._lock:
                        self._throttle = self._throttle or exc
                return exc
            except RegistryError as exc:
                return exc
            except Exception as exc:
                logger.exception("health: %s: reading %s failed", self.image.reference, item)
                return exc

        if self._executor is None:
            raise RuntimeError("Reader._map runs only inside Reader.read()")
        return dict(zip(items, self._executor.map(guarded, items), strict=True))


def _image_facts(
    image: WatchedImage, doc: ImageManifest, config: ImageConfig | DigestFacts
) -> DigestFacts:
    if isinstance(config, DigestFacts):
        labels = {LABEL_CREATED: config.label_created, LABEL_VERSION: config.version}
        created, created_text = config.created, config.created_text
        arch, os, variant = config.architecture, config.os, config.variant
    else:
        labels = dict(config.labels)
        created, created_text = config.created, config.created_text or ""
        arch, os, variant = config.architecture or "", config.os or "", config.variant or ""
    return DigestFacts(
        registry=image.registry,
        repository=image.repository,
        digest=doc.digest,
        media_type=doc.media_type,
        config_digest=doc.config_digest,
        layers=list(doc.layers),
        base_name=(doc.base_name or "")[:500],
        base_digest=(doc.base_digest or "")[:200],
        architecture=arch[:50],
        os=os[:50],
        variant=variant[:50],
        created=created,
        created_text=created_text[:40],
        label_created=(labels.get(LABEL_CREATED) or "")[:60],
        version=(labels.get(LABEL_VERSION) or "")[:100],
    )


def _index_facts(image: WatchedImage, doc: ManifestIndex) -> DigestFacts:
    annotations = {
        key: value
        for key, value in doc.annotations.items()
        if key in (ANNOTATION_BASE_NAME, ANNOTATION_BASE_DIGEST)
    }
    return DigestFacts(
        registry=image.registry,
        repository=image.repository,
        digest=doc.digest,
        media_type=doc.media_type,
        platforms=[
            {
                "digest": entry.digest,
                "architecture": entry.platform.architecture if entry.platform else "",
                "os": entry.platform.os if entry.platform else "",
                "variant": (entry.platform.variant if entry.platform else None) or "",
            }
            for entry in doc.images
        ],
        index_annotations=annotations,
    )


def _short(exc: Exception) -> str:
    text = str(exc)
    return text[text.rfind("(") + 1 : -1] if text.endswith(")") and "(" in text else text
