"""Fixtures shared by every test: the initiative loaded from the real file, and people."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle

from fedimage.core import pagecache
from fedimage.core.initiative_file import load_initiative_file
from fedimage.initiative.rules import LEAD_GROUP

ROOT = Path(__file__).resolve().parent.parent
INITIATIVE_FILE = ROOT / "initiative.toml"


@pytest.fixture(autouse=True)
def _fresh_page_cache():
    """No test sees a page another cached: each starts with new versions of every topic."""
    pagecache.bump_all()


class ThrottleClock:
    """The API throttles' clock, stopped `into` seconds into a minute (their window)."""

    START = 1_800_000_000.0  # a whole minute

    def __init__(self, into: float) -> None:
        self.now = self.START + into

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def throttle_clock(monkeypatch):
    """No counted request left from another test, and a clock that stays 20 s into a minute:
    a test's requests all fall in one window of the fixed-window throttles (with the real
    clock, a test running across a minute's end would see its count start again)."""
    cache.clear()
    clock = ThrottleClock(20)
    monkeypatch.setattr(SimpleRateThrottle, "timer", staticmethod(clock))
    yield clock
    cache.clear()


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
