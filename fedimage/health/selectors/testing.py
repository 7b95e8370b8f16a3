"""Reads for the app that records CI verdicts on tags (fedimage.ci): which tags to judge and
which tag a tested digest belongs to."""

from __future__ import annotations

from fedimage.health.models import DigestRecord, TagState


def tags_of_repository(*, registry: str, repository: str) -> list[TagState]:
    """The active tags of the active watched image(s) at registry/repository, with their image."""
    return list(
        TagState.objects.filter(
            active=True,
            image__active=True,
            image__registry=registry,
            image__repository=repository,
        ).select_related("image")
    )


def digest_tags(*, digests: list[str]) -> dict[str, list[int]]:
    """For each digest, the ids of the tags that pointed at it at some time (their history)."""
    found: dict[str, list[int]] = {}
    rows = DigestRecord.objects.filter(digest__in=set(digests)).values_list("digest", "tag_id")
    for digest, tag_id in rows:
        found.setdefault(digest, []).append(tag_id)
    return found


def tests_tag_list() -> list[TagState]:
    """Every active tag with its image, for recomputing CI verdicts."""
    return list(
        TagState.objects.filter(active=True, image__active=True)
        .select_related("image", "image__subproject", "image__milestone")
        .order_by("image__order", "image__key", "order", "tag")
    )
