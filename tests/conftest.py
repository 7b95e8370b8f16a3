"""Fixtures shared by every test: the initiative loaded from the real file, and people."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from fedimage.core import pagecache
from fedimage.core.initiative_file import load_initiative_file
from fedimage.initiative.rules import LEAD_GROUP

ROOT = Path(__file__).resolve().parent.parent
INITIATIVE_FILE = ROOT / "initiative.toml"


@pytest.fixture(autouse=True)
def _fresh_page_cache():
    """No test sees a page another cached: each starts with new versions of every topic."""
    pagecache.bump_all()


@pytest.fixture
def initiative(db):
    """The real Fedora Image Mode initiative file, loaded."""
    return load_initiative_file(INITIATIVE_FILE)


@pytest.fixture
def member(django_user_model):
    return django_user_model.objects.create_user("stakeholder", password="pw-member-123")


@pytest.fixture
def other_member(django_user_model):
    return django_user_model.objects.create_user("bystander", password="pw-other-123")


@pytest.fixture
def lead(django_user_model):
    user = django_user_model.objects.create_user("leader", password="pw-lead-123")
    user.groups.add(Group.objects.get_or_create(name=LEAD_GROUP)[0])
    return user


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def lead_client(client, lead):
    client.force_login(lead)
    return client
