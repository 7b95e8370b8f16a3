"""Factories for the health app's tests, and the initiative rows watched images link to."""

from __future__ import annotations

import factory

from fedimage.health.models import BaseEvidence, TagState, WatchedImage
from fedimage.initiative.models import Milestone, Release, Subproject


class ReleaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Release
        django_get_or_create = ("key",)

    key = "f44"
    name = "Fedora 44"


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    key = factory.Sequence(lambda n: f"milestone-{n}")
    title = factory.Sequence(lambda n: f"Milestone {n}")
    release = factory.SubFactory(ReleaseFactory)


class SubprojectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subproject

    key = factory.Sequence(lambda n: f"subproject-{n}")
    name = factory.Sequence(lambda n: f"Subproject {n}")


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
