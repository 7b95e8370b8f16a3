"""The initiative models keep their derived fields right whatever saves them."""

import pytest

from fedimage.initiative.models import Blocker
from fedimage.initiative.services import blocker_file

pytestmark = pytest.mark.django_db


def test_closing_a_blocker_by_a_plain_save_sets_its_closed_time(member, initiative):
    """Whatever saves a blocker (a service, the demo data), the model keeps closed_at right."""
    blocker = blocker_file(reporter=member, title="Closed from the admin")
    blocker.status = "resolved"
    blocker.save()
    assert Blocker.objects.get(pk=blocker.pk).closed_at is not None
    blocker.status = "open"
    blocker.save(update_fields=["status"])
    assert Blocker.objects.get(pk=blocker.pk).closed_at is None
