"""The demo data (`make demo`): seeding twice is safe."""

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_seed_demo_sets_the_password_even_for_existing_demo_users(initiative):
    call_command("seed_demo")
    call_command("seed_demo", "--password", "demo")
    assert authenticate(username="demo-lead", password="demo") is not None
