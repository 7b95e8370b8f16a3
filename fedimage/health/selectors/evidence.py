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

    @property
    def words(self) -> str:
        if self.proven == self.disproven == 0:
            return "No registry evidence yet"
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
    """Declared migration stage against base-image evidence, per subproject (two queries)."""
    rows = (
        TagState.objects.filter(active=True, image__active=True, image__subproject__isnull=False)
        .exclude(base_evidence=BaseEvidence.NOT_APPLICABLE)
        .values_list("image__subproject_id", "base_evidence", "builds_behind")
    )
    tally: dict[int, list] = {}
    for subproject_id, evidence, behind in rows:
        t = tally.setdefault(subproject_id, [0, 0, 0, None])
        if evidence in PROVEN:
            t[0] += 1
            t[3] = max(t[3] or 0, behind or 0)
        elif evidence in DISPROVEN:
            t[1] += 1
        else:
            t[2] += 1
    subprojects = Subproject.objects.filter(pk__in=tally).select_related("migration")
    result = {}
    for sp in subprojects:
        migration = getattr(sp, "migration", None)
        # Published (beta or production) images are on the base only from the beta stage on.
        on_base = migration is not None and migration.stage >= Stage.BETA
        proven, disproven, unknown, behind = tally[sp.pk]
        result[sp.pk] = EvidenceVerdict(sp, on_base, proven, disproven, unknown, behind)
    return result
