"""The initiative models keep their derived fields right whatever saves them."""

import pytest

from fedimage.initiative.models import Blocker, tracking_key
from fedimage.initiative.services import blocker_file
from tests.accounts.factories import UserFactory

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


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://github.com/bootc-dev/bootc/issues/123", ("bootc-dev/bootc", 123)),
        ("https://gitlab.com/fedora/bootc/base-images/-/work_items/51",
         ("fedora/bootc/base-images", 51)),
        ("https://forge.fedoraproject.org/atomic-desktops/tracker/issues/7/",
         ("atomic-desktops/tracker", 7)),
        ("https://github.com/bootc-dev/bootc/pull/9", ("", None)),
        ("https://github.com/bootc-dev/bootc/issues/99999999999", ("", None)),
        ("", ("", None)),
    ],
)  # fmt: skip
def test_tracking_key_names_the_issue_a_tracking_url_points_at(url, key):
    assert tracking_key(url) == key


def test_blocker_save_keeps_its_tracking_key_in_step_with_its_url():
    blocker = Blocker.objects.create(
        title="Release race",
        reporter=UserFactory(),
        tracking_url="https://gitlab.com/a/b/-/issues/4",
    )
    blocker.tracking_url = "https://github.com/bootc-dev/bootc/issues/5"
    blocker.save(update_fields=["tracking_url"])

    blocker.refresh_from_db()
    assert (blocker.tracking_project, blocker.tracking_number) == ("bootc-dev/bootc", 5)
