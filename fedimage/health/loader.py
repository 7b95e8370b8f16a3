"""The `[[images]]` section of the initiative file: the images whose builds fedimage watches.

    [[images]]
    key = "fedora-bootc"
    name = "Fedora bootc base image"
    registry = "quay.io"
    repository = "fedora/fedora-bootc"
    tags = ["rawhide", "44", "45"]
    arches = ["amd64", "arm64", "ppc64le", "s390x"]
    max_age_hours = 48          # freshness objective; omit for tags that are not rolling
    signature = false           # whether a signature is expected
    signature_kind = "cosign"   # cosign (tag or referrer) or gpg (containers' simple signing)
    signature_lookaside = "https://..."  # gpg: where signatures are served; without one a
                                # gpg-signed image's signature is noted, not expected
    subproject = "base-images"
    milestone = "beta-base-images"
    base = "fedora-bootc"       # another image's key: this one must be built on it
    grace_hours = 24            # unhealthy this long opens a blocker
    insecure = false            # plain HTTP; only for loopback test registries

Registered in HealthConfig.ready(): parsed with the other sections of the file (one bad line
rejects the whole file) and applied after the initiative's, in the same transaction.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from fedimage.core import samples
from fedimage.core.initiative_file import (
    InitiativeFileError,
    LoadReport,
    Locator,
    Reader,
    Section,
    array,
    unique,
)
from fedimage.health.models import BaseEvidence, TagState, WatchedImage
from fedimage.initiative.models import Milestone, Subproject

SECTION = "images"
# Architecture names as Fedora writes them, mapped onto the OCI platform names registries use.
ARCH_ALIASES = {"x86_64": "amd64", "aarch64": "arm64"}
KNOWN_ARCHES = {"amd64", "arm64", "ppc64le", "s390x", "riscv64", "386", "arm"}
_HOST_RE = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$")
_REPO_PART = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REPO_RE = re.compile(rf"^{_REPO_PART}(?:/{_REPO_PART})*$")
_TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
ALLOWED = {
    "key", "name", "registry", "repository", "tags", "arches", "max_age_hours", "signature",
    "subproject", "milestone", "base", "grace_hours", "insecure", "notes", "order",
    "signature_kind", "signature_lookaside",
}  # fmt: skip
SIGNATURE_KINDS = {"cosign": "cosign", "gpg": "gpg"}


def parse_images(
    loc: Locator, data: dict[str, Any], parsed: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Validate every `[[images]]` table; raise InitiativeFileError naming the line."""
    subprojects = parsed["initiative"].subproject_keys
    milestones = parsed["initiative"].milestone_keys
    images = []
    tables = array(loc, data, SECTION)
    for i, table in enumerate(tables):
        r = Reader(loc, SECTION, i, table)
        r.only(ALLOWED)
        registry = r.text("registry", required=True).lower()
        if not _HOST_RE.match(registry):
            r.fail("registry", f"'{registry}' is not a host name like quay.io or 127.0.0.1:5000")
        repository = r.text("repository", required=True, max_length=300)
        if not _REPO_RE.match(repository):
            r.fail("repository", f"'{repository}' is not a repository name like fedora/bootc")
        insecure = r.get("insecure", bool, default=False)
        if insecure and not _is_loopback(registry):
            r.fail("insecure", "plain HTTP is allowed only for loopback registries (127.0.0.1)")
        tags = _string_list(r, "tags", required=True)
        for tag in tags:
            if not _TAG_RE.match(tag):
                r.fail("tags", f"'{tag}' is not a valid tag")
        arches = [ARCH_ALIASES.get(a, a) for a in _string_list(r, "arches", required=True)]
        for arch in arches:
            if arch not in KNOWN_ARCHES:
                r.fail("arches", f"'{arch}' is not one of {', '.join(sorted(KNOWN_ARCHES))}")
        max_age = r.get("max_age_hours", int)
        if max_age is not None and not 1 <= max_age <= 24 * 366:
            r.fail("max_age_hours", "must be between 1 and 8784 hours")
        grace = r.get("grace_hours", int, default=24)
        if not 0 <= grace <= 24 * 366:
            r.fail("grace_hours", "must be between 0 and 8784 hours")
        subproject = r.text("subproject", max_length=80)
        if subproject and subproject not in subprojects:
            r.fail("subproject", f"unknown subproject '{subproject}'")
        milestone = r.text("milestone", max_length=80)
        if milestone and milestone not in milestones:
            r.fail("milestone", f"unknown milestone '{milestone}'")
        order = r.small_int("order", i)
        signature = r.get("signature", bool, default=False)
        kind = r.choice("signature_kind", SIGNATURE_KINDS, "cosign")
        lookaside = r.url("signature_lookaside")
        if lookaside and kind != "gpg":
            r.fail("signature_lookaside", 'only signature_kind = "gpg" has a lookaside')
        if kind == "gpg":
            # Checked only where the signatures are served; otherwise noted, not expected.
            signature = bool(lookaside)
        images.append(
            {
                "key": r.slug(),
                "name": r.text("name", required=True),
                "registry": registry,
                "repository": repository,
                "tags": list(dict.fromkeys(tags)),
                "expected_arches": list(dict.fromkeys(arches)),
                "max_age_hours": max_age,
                "signature_expected": signature,
                "signature_kind": kind,
                "signature_lookaside": lookaside,
                "insecure": insecure,
                "grace_hours": grace,
                "subproject": subproject or None,
                "milestone": milestone or None,
                "base": r.text("base", max_length=80) or None,
                "notes": r.text("notes", max_length=2000, multiline=True),
                "order": order,
            }
        )
    keys = unique(loc, SECTION, [image["key"] for image in images])
    for i, image in enumerate(images):
        if image["base"] and image["base"] not in keys:
            line = loc.line_of(SECTION, i, "base")
            raise InitiativeFileError(
                f"line {line}: {SECTION}[{i + 1}].base: unknown image '{image['base']}'"
            )
    return images


def apply_images(images: list[dict[str, Any]], report: LoadReport) -> None:
    """Create or update the watched images and their tags (inside the loader's transaction)."""
    subprojects = {s.key: s for s in Subproject.objects.all()}
    milestones = {m.key: m for m in Milestone.objects.all()}
    existing = {image.key: image for image in WatchedImage.objects.all()}
    saved: dict[str, WatchedImage] = {}
    for spec in images:
        values = {k: v for k, v in spec.items() if k not in ("key", "base")}
        values["subproject"] = subprojects.get(spec["subproject"]) if spec["subproject"] else None
        values["milestone"] = milestones.get(spec["milestone"]) if spec["milestone"] else None
        values["active"] = True
        image = existing.get(spec["key"])
        if image is None:
            image = WatchedImage(key=spec["key"], **values)
            image.full_clean(exclude=["base"])
            image.save()
            report.count("created", SECTION)
        else:
            changed = [name for name, value in values.items() if getattr(image, name) != value]
            for name in changed:
                setattr(image, name, values[name])
            if changed:
                image.full_clean(exclude=["base"])
                image.save()
                report.count("updated", SECTION)
            else:
                report.count("unchanged", SECTION)
        saved[spec["key"]] = image
        _apply_tags(image, spec["tags"], has_base=bool(spec["base"]))
    for spec in images:
        image = saved[spec["key"]]
        base = saved[spec["base"]] if spec["base"] else None
        if image.base_id != (base.pk if base else None):
            image.base = base
            image.save(update_fields=["base"])
    # `make demo`'s sample image is not the file's: left as it is, and not reported.
    others = WatchedImage.objects.exclude(key__in=saved).exclude(pk__in=samples.ids(WatchedImage))
    gone = others.filter(active=True)
    names = list(gone.values_list("key", flat=True))
    if names:
        gone.update(active=False)
    extra = list(others.values_list("key", flat=True))
    if extra:
        report.not_in_file[SECTION] = extra


def _apply_tags(image: WatchedImage, tags: list[str], *, has_base: bool) -> None:
    evidence = BaseEvidence.UNKNOWN if has_base else BaseEvidence.NOT_APPLICABLE
    states = {state.tag: state for state in image.tag_states.all()}
    for order, tag in enumerate(tags):
        state = states.get(tag)
        if state is None:
            TagState.objects.create(image=image, tag=tag, order=order, base_evidence=evidence)
            continue
        # Evidence already gathered stays; only declaring or dropping the base resets it.
        declared = state.base_evidence != BaseEvidence.NOT_APPLICABLE
        if not state.active or state.order != order or declared != has_base:
            state.active, state.order = True, order
            if declared != has_base:
                state.base_evidence, state.base_words = evidence, ""
                state.base_record, state.builds_behind = None, None
            state.save(
                update_fields=[
                    "active", "order", "base_evidence", "base_words", "base_record",
                    "builds_behind",
                ]
            )  # fmt: skip
    image.tag_states.exclude(tag__in=tags).filter(active=True).update(active=False)


def _string_list(r: Reader, key: str, *, required: bool) -> list[str]:
    values = r.get(key, list, required=required, default=[])
    if required and not values:
        r.fail(key, "must list at least one")
    if not all(isinstance(v, str) and v.strip() for v in values):
        r.fail(key, "expected a list of strings")
    return [v.strip() for v in values]


def _is_loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


IMAGES = Section(
    name=SECTION,
    tables=(SECTION,),
    reports=(SECTION,),
    parse=parse_images,
    apply=apply_images,
    order=10,
)
