"""factory_boy factories and helpers of the health app (initiative rows: initiative.factories)."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from fedimage.health.models import (
    BaseEvidence,
    DigestRecord,
    HealthState,
    Sample,
    StateChange,
    TagState,
    WatchedImage,
)


class WatchedImageFactory(factory.django.DjangoModelFactory):
    """A watched image on a loopback registry; its tags get TagState rows, as the loader does."""

    class Meta:
        model = WatchedImage
        skip_postgeneration_save = True

    key = factory.Sequence(lambda n: f"image-{n}")
    name = factory.Sequence(lambda n: f"Image {n}")
    registry = "127.0.0.1:5000"
    repository = factory.Sequence(lambda n: f"fedimage-test/image-{n}")
    tags = factory.LazyFunction(lambda: ["44"])
    expected_arches = factory.LazyFunction(lambda: ["amd64", "arm64"])
    max_age_hours = 48
    signature_expected = False
    insecure = True
    grace_hours = 24

    @factory.post_generation
    def tag_states(self, create: bool, extracted: object, **kwargs: object) -> None:
        if not create:
            return
        evidence = BaseEvidence.UNKNOWN if self.base_id else BaseEvidence.NOT_APPLICABLE
        TagState.objects.bulk_create(
            TagState(image=self, tag=tag, order=i, base_evidence=evidence)
            for i, tag in enumerate(self.tags)
        )


def watch(server, repo: str, **kwargs) -> WatchedImage:
    """Watch `repo` on a test registry (or stub) server."""
    return WatchedImageFactory(registry=server.host, repository=repo, **kwargs)


def tag_state(image: WatchedImage, tag: str = "44") -> TagState:
    return TagState.objects.get(image=image, tag=tag)


def observed(image: WatchedImage, tag: str = "44", *, state: str = "healthy", builds: int = 3):
    """Give a tag the history and summaries polls would have written: digests, samples, a state
    change, the strip and the cadence."""
    now = timezone.now()
    ts = TagState.objects.get(image=image, tag=tag)
    for i in range(builds):
        DigestRecord.objects.create(
            tag=ts,
            digest=f"sha256:{i:064x}",
            media_type="application/vnd.oci.image.index.v1+json",
            first_seen=now - timedelta(days=builds - i),
            built_at=now - timedelta(days=builds - i, hours=1),
            version=f"44.2026112{i}.0",
            arches=["amd64"],
            details={"amd64": {"layers": [f"sha256:{n:064x}" for n in range(50)]}},
        )
    checks = [now - timedelta(minutes=10 * i) for i in reversed(range(30))]
    Sample.objects.bulk_create(Sample(tag=ts, at=at, state=state) for at in checks)
    StateChange.objects.create(
        tag=ts, old_state=HealthState.PENDING, new_state=state, reason="seen in a test"
    )
    ts.state, ts.reason = state, "no arm64 build (has amd64); built 1 days ago"
    ts.digest, ts.arches = f"sha256:{builds - 1:064x}", ["amd64"]
    ts.built_at = now - timedelta(days=1, hours=1)
    ts.recent = [[at.isoformat(), state] for at in checks[-TagState.RECENT_LENGTH :]]
    ts.cadence = timedelta(days=1) if builds > 1 else None
    ts.save()
    return ts
