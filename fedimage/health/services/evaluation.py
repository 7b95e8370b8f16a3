"""What a digest's facts mean for a tag, and how healthy the tag is, in words.

Pure functions of rows already in memory: judging an unchanged tag needs no query, so a poll of
unchanged tags can be written in bulk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fedimage.core.durations import duration_words
from fedimage.health.models import (
    BuildTimeSource,
    DigestFacts,
    HealthState,
    TagState,
    WatchedImage,
)
from fedimage.health.services.buildtime import BuildTime, choose_build_time, source_words


@dataclass(frozen=True)
class ArchBuild:
    """One platform of a digest, with what its manifest and config say."""

    architecture: str
    os: str
    variant: str
    manifest_digest: str
    config_digest: str
    build: BuildTime
    version: str
    layers: tuple[str, ...]
    base_name: str
    base_digest: str


@dataclass(frozen=True)
class DigestView:
    """What a tag's top digest holds: one entry per platform."""

    digest: str
    media_type: str
    arches: tuple[ArchBuild, ...]
    index_annotations: dict[str, str] = field(default_factory=dict)

    @property
    def newest_build(self) -> BuildTime | None:
        builds = [arch.build for arch in self.arches if arch.build.at is not None]
        return max(builds, key=lambda b: b.at) if builds else None  # type: ignore[arg-type,return-value]

    @property
    def version(self) -> str:
        return next((arch.version for arch in self.arches if arch.version), "")

    @property
    def arch_names(self) -> list[str]:
        return sorted({arch.architecture for arch in self.arches} - {""})

    def details(self) -> dict[str, Any]:
        """The per-architecture record kept with a tag's digest history (for base evidence)."""
        details: dict[str, Any] = {
            arch.architecture or "unknown": {
                "os": arch.os,
                "variant": arch.variant or None,
                "manifest": arch.manifest_digest,
                "config": arch.config_digest,
                "created": arch.build.at.isoformat() if arch.build.at else None,
                "created_source": arch.build.source,
                "version": arch.version or None,
                "layers": list(arch.layers),
                "base_name": arch.base_name or None,
                "base_digest": arch.base_digest or None,
            }
            for arch in self.arches
        }
        if self.index_annotations:
            details["_index"] = {"annotations": dict(self.index_annotations)}
        return details

    def arch_builds(self) -> dict[str, dict[str, str]]:
        """Each architecture's build time and its source, as TagState.arch_builds keeps them."""
        return {
            arch.architecture or "unknown": {
                "at": arch.build.at.isoformat(),
                "source": arch.build.source,
                "note": arch.build.note,
            }
            for arch in self.arches
            if arch.build.at is not None
        }


def digest_view(digest: str, facts: dict[str, DigestFacts], *, now: datetime) -> DigestView:
    """Assemble a top digest's view from its facts and its platform manifests' facts."""
    top = facts[digest]
    if top.platforms:
        entries = [(facts[entry["digest"]], entry) for entry in top.platforms]
    else:
        entries = [(top, None)]
    arches = []
    for row, platform in entries:
        arches.append(
            ArchBuild(
                architecture=(platform["architecture"] if platform else row.architecture),
                os=(platform["os"] if platform else row.os),
                variant=(platform["variant"] if platform else row.variant),
                manifest_digest=row.digest,
                config_digest=row.config_digest,
                build=choose_build_time(
                    created=row.created,
                    created_text=row.created_text,
                    label_created=row.label_created,
                    version=row.version,
                    now=now,
                ),
                version=row.version,
                layers=tuple(row.layers),
                base_name=row.base_name,
                base_digest=row.base_digest,
            )
        )
    return DigestView(
        digest=top.digest,
        media_type=top.media_type,
        arches=tuple(arches),
        index_annotations=dict(top.index_annotations),
    )


def evaluate(image: WatchedImage, state: TagState, now: datetime) -> tuple[str, str]:
    """Say how healthy a fully read tag is, and why, in words."""
    problems: list[str] = []
    missing = [arch for arch in image.expected_arches if arch not in state.arches]
    if missing:
        problems.append(f"no {', '.join(missing)} build (has {', '.join(state.arches) or 'none'})")
    if image.signature_expected and state.signed is False:
        if image.signature_kind == "gpg":
            problems.append("not signed (no GPG simple signature on the lookaside)")
        else:
            problems.append("not signed (no cosign signature tag or signature referrer)")
    # A tag is as fresh as its oldest expected architecture: one stale build is a stale tag.
    builds = arch_builds(state)
    judged = {a: builds[a] for a in image.expected_arches or list(builds) if a in builds}
    built: datetime | None
    if judged:
        built, source, note = min(judged.values(), key=lambda b: b[0])
    else:
        built, source, note = state.built_at, state.built_source, ""
    built_words = "built" if built else "first seen (no build time in its config or labels)"
    built = built or state.digest_seen_at
    max_age = image.max_age
    stale = bool(max_age and built and now - built > max_age)
    if stale and max_age:
        old = [a for a, b in judged.items() if now - b[0] > max_age]
        if len(old) < len(judged):
            built_words = f"{', '.join(old)} built"
    age_words = "build time unknown"
    if built:
        from_words = source_words(source, note, version=state.version)
        age_words = f"{built_words} {duration_words(now - built)} ago{from_words}"
    if stale and max_age:
        problems.insert(0, f"{age_words}, objective {duration_words(max_age)}")
        return HealthState.STALE, "; ".join(problems)
    if problems:
        return HealthState.DEGRADED, "; ".join(problems) + f"; {age_words}"
    facts = [age_words, f"all {len(image.expected_arches)} expected architectures"]
    if image.signature_expected:
        facts.append("signed")
    return HealthState.HEALTHY, ", ".join(facts)


def arch_builds(state: TagState) -> dict[str, tuple[datetime, str, str]]:
    """Return each architecture's (build time, source, note) of the tag's current digest."""
    builds = {}
    for arch, build in (state.arch_builds or {}).items():
        if isinstance(build, dict) and isinstance(build.get("at"), str):
            source = build.get("source") or BuildTimeSource.CONFIG
            builds[arch] = (datetime.fromisoformat(build["at"]), source, build.get("note") or "")
    return builds
