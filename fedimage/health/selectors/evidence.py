"""Declared migration stage against the registry's base-image evidence, per subproject."""

from __future__ import annotations

from dataclasses import dataclass

from fedimage.health.models import BaseEvidence, TagState
from fedimage.initiative.models import Stage, Subproject


@dataclass(frozen=True)
class EvidenceVerdict:
    """What a subproject declares about its base image against what the registry proves."""

    subproject: Subproject
    declared_on_base: bool
    proven: int
    disproven: int
    unknown: int
    max_behind: int | None

    @property
    def disagrees(self) -> bool:
        return (self.declared_on_base and self.disproven > 0 and self.proven == 0) or (
            not self.declared_on_base and self.proven > 0
        )

    # Watched images of the subproject, and how many of their tags declare no base image
    # (the base images themselves; images whose `base` the initiative file does not name).
    images: int = 0
    undeclared: int = 0

    @property
    def words(self) -> str:
        if self.proven == self.disproven == 0:
            watched = f"{self.images} watched image{'s' if self.images != 1 else ''}"
            if self.unknown:
                return f"No registry evidence yet ({watched})"
            if self.subproject.kind == Subproject.Kind.BASE:
                return f"Provides the base images ({watched})"
            return f"{watched}; none declares the base image it is built on"
        parts = []
        if self.proven:
            parts.append(f"{self.proven} tag(s) built on the base image")
        if self.disproven:
            parts.append(f"{self.disproven} tag(s) not built on it")
        if self.max_behind:
            parts.append(f"up to {self.max_behind} base builds behind")
        text = "; ".join(parts)
        if self.disagrees:
            declared = "on the base image" if self.declared_on_base else "on its own base"
            text = f"Disagrees with the declared stage ({declared}): {text}"
        return text


PROVEN = {BaseEvidence.LAYERS, BaseEvidence.ANNOTATION}
DISPROVEN = {BaseEvidence.NONE, BaseEvidence.NAMED_ONLY}


def base_evidence_by_subproject() -> dict[int, EvidenceVerdict]:
    """Declared migration stage against base-image evidence, for every subproject with a
    watched image (two queries)."""
    rows = TagState.objects.filter(
        active=True, image__active=True, image__subproject__isnull=False
    ).values_list("image__subproject_id", "image_id", "base_evidence", "builds_behind")
    tally: dict[int, list] = {}
    images: dict[int, set[int]] = {}
    for subproject_id, image_id, evidence, behind in rows:
        t = tally.setdefault(subproject_id, [0, 0, 0, None, 0])
        images.setdefault(subproject_id, set()).add(image_id)
        if evidence in PROVEN:
            t[0] += 1
            t[3] = max(t[3] or 0, behind or 0)
        elif evidence in DISPROVEN:
            t[1] += 1
        elif evidence == BaseEvidence.NOT_APPLICABLE:
            t[4] += 1
        else:
            t[2] += 1
    subprojects = Subproject.objects.filter(pk__in=tally).select_related("migration")
    result = {}
    for sp in subprojects:
        migration = getattr(sp, "migration", None)
        # Published (beta or production) images are on the base only from the beta stage on.
        on_base = migration is not None and migration.stage >= Stage.BETA
        proven, disproven, unknown, behind, undeclared = tally[sp.pk]
        result[sp.pk] = EvidenceVerdict(
            sp, on_base, proven, disproven, unknown, behind, len(images[sp.pk]), undeclared
        )
    return result
