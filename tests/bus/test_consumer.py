"""Consuming: a tracker's issue event relayed on the bus syncs that one issue, as a webhook does."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

from fedimage.bus.relay import issue_message_accept
from fedimage.core.models import OutboxMessage
from tests.bus import payloads
from tests.bus.amqp import Tap, ensure_broker
from tests.trackers.conftest import GITLAB_TOKEN
from tests.worker import redis_worker, wait_for
from trackers.models import TrackedIssue, WebhookDelivery

PROJECT = "fedora/bootc/tracker"
PREFIX = "org.fedoraproject.prod."


@pytest.fixture
def source(make_source, fake_gitlab):
    fake_gitlab.add_issue(PROJECT, number=84, title="Release race condition in Konflux")
    return make_source(fake_gitlab, PROJECT)


def test_a_relayed_issue_event_queues_one_sync_and_a_redelivery_none(source, fake_gitlab):
    body = payloads.gitlab_issue(fake_gitlab.url, PROJECT, 84)
    outcome = issue_message_accept(message_id="m-1", topic=PREFIX + "gitlab.issue", body=body)
    assert outcome == f"sync of {PROJECT}#84 queued ({source.name})"
    assert issue_message_accept(message_id="m-1", topic="gitlab.issue", body=body).startswith(
        "already seen"
    )
    assert [tuple(m.args) for m in OutboxMessage.objects.all()] == [(source.pk, PROJECT, 84)]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.delivery_id, delivery.issue_number) == ("bus:m-1", 84)


def test_events_of_other_projects_or_hosts_are_acknowledged_and_ignored(source, fake_gitlab):
    other = payloads.gitlab_issue(fake_gitlab.url, "someone/else", 1)
    elsewhere = payloads.gitlab_issue("https://gitlab.example.org", PROJECT, 84)
    assert "not a tracker of the initiative" in issue_message_accept(
        message_id="m-2", topic="gitlab.issue", body=other
    )
    assert "not a tracker" in issue_message_accept(
        message_id="m-3", topic="gitlab.issue", body=elsewhere
    )
    assert not OutboxMessage.objects.exists()


def test_a_group_source_takes_events_of_its_projects(make_source, fake_gitlab):
    group = make_source(fake_gitlab, "fedora/bootc", is_group=True)
    body = payloads.gitlab_issue(fake_gitlab.url, "fedora/bootc/docs", 5)
    assert "queued (fedora-bootc)" in issue_message_accept(
        message_id="m-4", topic="gitlab.issue", body=body
    )
    assert OutboxMessage.objects.get().args == [group.pk, "fedora/bootc/docs", 5]


@pytest.mark.django_db(transaction=True)
def test_fedora_messaging_consume_syncs_the_issue_a_relayed_message_names(
    source, fake_gitlab, tmp_path: Path
):
    """The documented command, against the real RabbitMQ: publish, consume, sync the issue."""
    ensure_broker()
    tap = Tap([])  # this test's own exchange; the consumer declares and binds its queue
    queue = f"fedimage-consumer-{uuid.uuid4().hex[:8]}"
    conf = tmp_path / "consumer.toml"
    conf.write_text(
        f"""
amqp_url = "amqp://guest:guest@127.0.0.1:5672/%2F"
callback = "fedimage.bus.consumer:TrackerIssueConsumer"

[client_properties]
app = "fedimage tests"

[queues.{queue}]
durable = false
auto_delete = true
exclusive = false
arguments = {{}}

[[bindings]]
queue = "{queue}"
exchange = "{tap.exchange}"
routing_keys = ["{PREFIX}gitlab.issue", "{PREFIX}gitlab.note", "{PREFIX}forgejo.issues"]
"""
    )
    database = connection.settings_dict["NAME"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "TEST_GITLAB_TOKEN": GITLAB_TOKEN,
        "FEDORA_MESSAGING_CONF": str(conf),
    }
    command = [str(Path(sys.executable).parent / "fedora-messaging"), "consume"]
    consumer = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        # The consumer declares its queue once connected: wait for it, then publish.
        assert wait_for(lambda: _queue_exists(queue), timeout=60), _output(consumer)
        with redis_worker():
            tap.publish(PREFIX + "gitlab.push", {"headers": {}, "body": {}})  # not an issue
            tap.publish(
                PREFIX + "gitlab.issue", payloads.gitlab_issue(fake_gitlab.url, PROJECT, 84)
            )
            assert wait_for(
                lambda: TrackedIssue.objects.filter(project=PROJECT, number=84).exists(),
                timeout=60,
            ), _output(consumer)
        issue = TrackedIssue.objects.get()
        assert issue.title == "Release race condition in Konflux"
        assert WebhookDelivery.objects.get().delivery_id.startswith("bus:")
        assert consumer.poll() is None  # still consuming
    finally:
        consumer.terminate()
        consumer.communicate(timeout=30)  # reaps it and closes its pipe
        tap.close()


def _queue_exists(name: str) -> bool:
    from tests.bus.amqp import connect

    conn = connect()
    try:
        conn.channel().queue_declare(name, passive=True)
        return True
    except Exception:
        return False
    finally:
        if conn.is_open:
            conn.close()


def _output(proc: subprocess.Popen) -> str:
    if proc.poll() is None:
        return "consumer still running"
    return proc.stdout.read() if proc.stdout else ""
