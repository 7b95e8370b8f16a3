"""factory_boy factories of the initiative app (for volume; real data comes from the file)."""

import factory

from fedimage.initiative.models import Blocker, Milestone, Release, Severity, Subproject
from tests.accounts.factories import UserFactory


class ReleaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Release

    key = factory.Sequence(lambda n: f"r{n}")
    name = factory.Sequence(lambda n: f"Release {n}")


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    key = factory.Sequence(lambda n: f"milestone-{n}")
    title = factory.Sequence(lambda n: f"Milestone {n}")
    release = factory.SubFactory(ReleaseFactory)


class SubprojectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subproject

    key = factory.Sequence(lambda n: f"sub-{n}")
    name = factory.Sequence(lambda n: f"Subproject {n}")


class BlockerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Blocker
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Blocker number {n}")
    severity = Severity.MAJOR
    reporter = factory.SubFactory(UserFactory)

    @factory.post_generation
    def milestones(self, create, extracted, **kwargs):
        if create and extracted:
            self.milestones.set(extracted)

    @factory.post_generation
    def subprojects(self, create, extracted, **kwargs):
        if create and extracted:
            self.subprojects.set(extracted)
