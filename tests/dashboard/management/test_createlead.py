"""`manage.py createlead NAME`: the documented one-liner that makes the first lead."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command

from fedimage.initiative.rules import is_lead


@pytest.mark.django_db
def test_createlead_makes_a_lead_who_can_sign_in_without_staff_status(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-lead-passphrase-42\n"))
    out = io.StringIO()

    call_command("createlead", "nimbinatus", "--email", "lead@example.org", stdout=out)

    user = get_user_model().objects.get(username="nimbinatus")
    assert is_lead(user)
    assert not user.is_staff  # leads steer in the dashboard; the admin is for superusers
    assert authenticate(username="nimbinatus", password="a-long-lead-passphrase-42") == user
    assert "Lead 'nimbinatus' created" in out.getvalue()
    assert "a-long-lead-passphrase-42" not in out.getvalue()


@pytest.mark.django_db
def test_createlead_refuses_a_weak_password_and_creates_nobody(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("1234\n"))
    with pytest.raises(CommandError, match="too short"):
        call_command("createlead", "nimbinatus", stdout=io.StringIO())
    assert not get_user_model().objects.filter(username="nimbinatus").exists()
