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
from typing import Annotated, Self

from pydantic import AfterValidator, ValidationInfo, model_validator

from fedimage.core import samples
from fedimage.core.file_schema import (
    FileSchema,
    SmallInt,
    Table,
    between,
    known,
    number_in_order,
    one_of,
    problem,
    slug,
    strings,
    text,
    unique,
    url,
)
from fedimage.core.initiative_file import LoadReport, Section, upsert_by_key
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
SIGNATURE_KINDS = {"cosign": "cosign", "gpg": "gpg"}
A_YEAR_OF_HOURS = 24 * 366


def _registry(value: str) -> str:
    value = value.lower()
    if not _HOST_RE.match(value):
        raise problem(f"'{value}' is not a host name like quay.io or 127.0.0.1:5000")
    return value


def _repository(value: str) -> str:
    if not _REPO_RE.match(value):
        raise problem(f"'{value}' is not a repository name like fedora/bootc")
    return value


def _tag(tag: str) -> None:
    if not _TAG_RE.match(tag):
        raise problem(f"'{tag}' is not a valid tag")


def _arches(arches: list[str]) -> list[str]:
    arches = [ARCH_ALIASES.get(a, a) for a in arches]
    for arch in arches:
        if arch not in KNOWN_ARCHES:
            raise problem(f"'{arch}' is not one of {', '.join(sorted(KNOWN_ARCHES))}")
    return list(dict.fromkeys(arches))


class ImageTable(Table):
    """`[[images]]`: an image whose tags are polled, and what healthy means for it."""

    key: Annotated[str, slug()]
    name: Annotated[str, text(required=True)]
    registry: Annotated[str, text(required=True), AfterValidator(_registry)]
    repository: Annotated[str, text(300, required=True), AfterValidator(_repository)]
    tags: Annotated[list[str], strings("tags", required=True, each=_tag)]
    arches: Annotated[list[str], strings("strings", required=True), AfterValidator(_arches)]
    max_age_hours: Annotated[int, between(1, A_YEAR_OF_HOURS, " hours")] | None = None
    grace_hours: Annotated[int, between(0, A_YEAR_OF_HOURS, " hours")] = 24
    signature: bool = False
    signature_kind: Annotated[str, one_of(SIGNATURE_KINDS)] = "cosign"
    signature_lookaside: Annotated[str, url()] = ""
    subproject: Annotated[str, text(80)] = ""
    milestone: Annotated[str, text(80)] = ""
    base: Annotated[str, text(80)] = ""
    insecure: bool = False
    notes: Annotated[str, text(2000, multiline=True)] = ""
    order: SmallInt | None = None

    @model_validator(mode="after")
    def consistent(self) -> Self:
        if self.insecure and not _is_loopback(self.registry):
            raise problem(
                "plain HTTP is allowed only for loopback registries (127.0.0.1)", "insecure"
            )
        if self.signature_lookaside and self.signature_kind != "gpg":
            raise problem('only signature_kind = "gpg" has a lookaside', "signature_lookaside")
        return self

    def values(self) -> dict:
        """The WatchedImage's fields (`subproject`, `milestone` and `base` still as keys)."""
        # GPG signatures are checked only where they are served; otherwise noted, not expected.
        expected = (
            bool(self.signature_lookaside) if self.signature_kind == "gpg" else self.signature
        )
        return {
            **self.model_dump(exclude={"arches", "signature"}),
            "tags": list(dict.fromkeys(self.tags)),
            "expected_arches": self.arches,
            "signature_expected": expected,
        }


class ImagesSchema(FileSchema):
    """The `[[images]]` tables, keyed by `key`; subprojects and milestones the initiative's."""

    images: list[ImageTable] = []

    @model_validator(mode="after")
    def keys_and_references(self, info: ValidationInfo) -> Self:
        initiative = (info.context or {})["initiative"]
        keys = [image.key for image in self.images]
        unique(SECTION, keys)
        number_in_order(self.images)
        for i, image in enumerate(self.images):
            known(
                image.subproject, initiative.subproject_keys, "subproject", SECTION, i, "subproject"
            )
            known(image.milestone, initiative.milestone_keys, "milestone", SECTION, i, "milestone")
            known(image.base, keys, "image", SECTION, i, "base")
        return self


def apply_images(parsed: ImagesSchema, report: LoadReport) -> None:
    """Create or update the watched images and their tags (inside the loader's transaction)."""
    subprojects = {s.key: s for s in Subproject.objects.all()}
    milestones = {m.key: m for m in Milestone.objects.all()}
    existing = {image.key: image for image in WatchedImage.objects.all()}
    saved: dict[str, WatchedImage] = {}
    for spec in parsed.images:
        values = spec.values()
        del values["base"]  # set below, once every image exists
        values["subproject"] = subprojects[spec.subproject] if spec.subproject else None
        values["milestone"] = milestones[spec.milestone] if spec.milestone else None
        values["active"] = True
        image = upsert_by_key(
            WatchedImage, existing, values, report=report, kind=SECTION, clean_exclude=["base"]
        )
        saved[spec.key] = image
        _apply_tags(image, values["tags"], has_base=bool(spec.base))
    for spec in parsed.images:
        image = saved[spec.key]
        base = saved[spec.base] if spec.base else None
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


def _is_loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


IMAGES = Section(
    name=SECTION, schema=ImagesSchema, reports=(SECTION,), apply=apply_images, order=10
)
