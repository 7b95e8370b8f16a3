"""Publishing onto the real RabbitMQ through fedora-messaging, from the domain events."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse
from fedora_messaging.message import WARNING, get_message

from fedimage.bus import services, tasks
from fedimage.bus.models import BusMessage, MessageStatus
from fedimage.initiative import services as initiative_services
from fedimage.initiative.models import Blocker, Migration, Milestone, Stage
from fedimage_messages import BlockerNewV1, BlockerUpdateV1, MigrationStageV1, MilestoneStatusV1
from tests.worker import redis_worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

FORM = {
    "title": "Konflux does not publish rawhide-standard",
    "severity": "critical",
    "category": "konflux",
    "description": "Release race condition.",
    "tracking_url": "https://gitlab.com/fedora/bootc/tracker/-/issues/84",
}


def received_message(tap, **kwargs):
    """The next message on the test's queue, read by fedora-messaging and schema-validated."""
    got = tap.get(**kwargs)
    message = get_message(got.routing_key, got.properties, got.body)
    message.validate()
    return message


def test_filing_a_blocker_puts_it_on_the_bus(bus, initiative, member_client):
    milestone = Milestone.objects.get(key="clean-dev-pipeline")
    with redis_worker():
        response = member_client.post(
            reverse("dashboard:blocker-create"), {**FORM, "milestones": [milestone.pk]}
        )
        assert response.status_code == 302
        message = received_message(bus)
    blocker = Blocker.objects.get()
    assert isinstance(message, BlockerNewV1)
    assert message.topic == "fedimage.blocker.new"
    assert message.id == str(BusMessage.objects.get().pk)
    assert message.severity == WARNING  # critical
    assert message.summary == (
        f"stakeholder filed critical blocker #{blocker.pk} \u201cKonflux does not publish "
        "rawhide-standard\u201d"
    )
    assert message.url == f"https://fedimage.example.org/blockers/{blocker.pk}/"
    assert message.agent_name == "stakeholder"
    assert message.usernames == ["stakeholder"]
    assert message.app_name == "fedimage"
    assert message.body["blocker"]["milestones"] == ["clean-dev-pipeline"]
    assert "Tracked upstream: https://gitlab.com/fedora/bootc/tracker/-/issues/84" in str(message)
    row = BusMessage.objects.get()
    assert row.status == MessageStatus.SENT
    assert row.attempts == 1
    assert row.sent_at


def test_bus_outage_during_a_request_loses_nothing(bus, relay, initiative, member_client):
    """The request succeeds while the broker is away; the message goes out once it is back."""
    page_before = member_client.get(reverse("dashboard:blocker-list")).content
    relay.cut()
    try:
        with redis_worker():
            response = member_client.post(reverse("dashboard:blocker-create"), FORM)
            assert response.status_code == 302
            # The worker tried and failed: the message waits, with the reason.
            assert wait_for(lambda: BusMessage.objects.filter(attempts__gte=1).exists())
        row = BusMessage.objects.get()
        assert row.status == MessageStatus.PENDING
        assert "Timeout" in row.last_error or "Connection" in row.last_error
        assert "guest" not in row.last_error  # no credentials in what is stored
        assert bus.count() == 0
        page = member_client.get(reverse("dashboard:blocker-list")).content
        assert page.replace(b"Konflux does not publish rawhide-standard", b"") != page
    finally:
        relay.restore()
    # Beat's periodic run sends it once the broker is back (a reconnection may take a moment).
    assert wait_for(lambda: (services.publish_pending(), bus.count())[1] > 0, timeout=90)
    message = received_message(bus)
    assert message.id == str(row.pk)
    assert BusMessage.objects.get().status == MessageStatus.SENT
    services.publish_pending()
    assert bus.count() == 0  # sent exactly once
    assert page_before  # the blocker list rendered the same way before and during


def test_a_rolled_back_change_records_nothing(bus, initiative, member):
    def file_then_fail() -> None:
        with transaction.atomic():
            initiative_services.blocker_file(reporter=member, title="Never happened")
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        file_then_fail()
    assert not BusMessage.objects.exists()


def test_private_blockers_never_go_on_the_bus(bus, initiative, member):
    blocker = initiative_services.blocker_file(reporter=member, title="Embargoed", private=True)
    initiative_services.blocker_update(blocker=blocker, user=member, severity="critical")
    assert not BusMessage.objects.exists()


def test_without_a_broker_nothing_is_recorded(settings, initiative, member):
    settings.BUS_AMQP_URL = ""
    settings.BUS_CONFIG_FILE = ""
    initiative_services.blocker_file(reporter=member, title="Quiet")
    assert not BusMessage.objects.exists()


def test_milestone_migration_and_blocker_changes_are_published_in_order(
    bus, initiative, lead, member
):
    milestone = Milestone.objects.get(key="production-base-images")
    migration = Migration.objects.get(subproject__key="iot")
    blocker = initiative_services.blocker_file(reporter=member, title="Installer crashes")
    initiative_services.blocker_update(
        blocker=blocker, user=lead, status="in_progress", severity="critical", owner=member
    )
    initiative_services.milestone_set_status(
        milestone=milestone, user=lead, status="at_risk", note="Konflux release race"
    )
    initiative_services.migration_set_stage(migration=migration, user=lead, stage=Stage.BETA)
    report = services.publish_pending()
    assert report.sent == 4
    assert report.failed is None
    new, update, status, stage = (received_message(bus) for _ in range(4))
    assert isinstance(new, BlockerNewV1)
    assert isinstance(update, BlockerUpdateV1)
    assert update.body["changes"] == {
        "status": {"old": "open", "new": "in_progress"},
        "severity": {"old": "major", "new": "critical"},
    }
    assert update.summary.startswith("leader changed blocker #")
    assert update.summary.endswith("severity major \u2192 critical, status open \u2192 in_progress")
    assert update.usernames == ["leader", "stakeholder"]
    assert isinstance(status, MilestoneStatusV1)
    assert status.summary == (
        "Milestone \u201cProduction (rolling) base images\u201d (Fedora 45): "
        "not started \u2192 at risk"
    )
    assert status.usernames == ["leader", "nimbinatus"]
    assert isinstance(stage, MigrationStageV1)
    assert stage.summary == "Fedora IoT: migration stage development \u2192 beta"
    assert stage.url == "https://fedimage.example.org/subprojects/iot/"


def test_a_message_the_schema_refuses_is_set_aside_and_the_rest_go_out(bus, initiative, member):
    with transaction.atomic():
        services.message_record(
            schema="fedimage.blocker.new.v1", topic="fedimage.blocker.new", body={"agent": 1}
        )
        initiative_services.blocker_file(reporter=member, title="Fine one")
    report = services.publish_pending()
    assert (report.sent, report.refused) == (1, 1)
    refused = BusMessage.objects.get(status=MessageStatus.REFUSED)
    assert "ValidationError" in refused.last_error
    assert received_message(bus).body["blocker"]["title"] == "Fine one"


def test_the_beat_task_publishes_and_old_sent_messages_are_pruned(
    bus, settings, initiative, member
):
    initiative_services.blocker_file(reporter=member, title="Old news")
    assert tasks.publish_pending() == 1
    settings.BUS_KEEP_DAYS = 0
    assert services.messages_prune() == 1
    assert not BusMessage.objects.exists()
