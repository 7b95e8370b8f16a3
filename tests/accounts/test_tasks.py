"""The daily retention job of the accounts app."""

from datetime import timedelta

import pytest
from axes.models import AccessFailureLog, AccessLog
from django.utils import timezone

from fedimage.accounts import services
from fedimage.accounts.models import ApiToken
from fedimage.accounts.tasks import prune_audit

pytestmark = pytest.mark.django_db


def test_prune_drops_only_what_is_past_its_retention(member, settings):
    settings.AUDIT_RETENTION_DAYS = 30
    old = timezone.now() - timedelta(days=31)
    AccessLog.objects.create(username="stakeholder", ip_address="127.0.0.1", user_agent="x")
    AccessLog.objects.create(username="old", ip_address="127.0.0.1", user_agent="x")
    AccessLog.objects.filter(username="old").update(attempt_time=old)
    AccessFailureLog.objects.create(username="old", ip_address="127.0.0.1", user_agent="x")
    AccessFailureLog.objects.update(attempt_time=old)
    dead, _ = services.api_token_create(user=member, name="dead")
    services.api_token_create(user=member, name="alive")
    ApiToken.objects.filter(pk=dead.pk).update(revoked_at=old)

    prune_audit()
    prune_audit()  # idempotent

    assert list(AccessLog.objects.values_list("username", flat=True)) == ["stakeholder"]
    assert not AccessFailureLog.objects.exists()
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["alive"]


def test_expired_sessions_are_cleared_once_at_a_time(client, member):
    from django.contrib.sessions.models import Session

    from fedimage.accounts.tasks import clear_sessions
    from fedimage.core.locks import single_flight

    client.force_login(member)  # a live session
    Session.objects.create(
        session_key="expired", session_data="", expire_date=timezone.now() - timedelta(days=1)
    )
    with single_flight("accounts.clear_sessions"):
        assert clear_sessions() == 0  # another pass holds the lock
    assert clear_sessions() == 1
    assert clear_sessions() == 0
    assert Session.objects.count() == 1
