"""Webhooks: sender verification, replay refusal, and the sync they queue."""

import hashlib
import hmac
import json
import logging

import pytest
from django.test import Client

from fedimage.core.models import OutboxMessage
from trackers import tasks
from trackers.models import TrackedIssue, WebhookDelivery

PROJECT = "fedora/bootc/tracker"
REPO = "bootc-dev/bootc"
FORGE_REPO = "atomic-desktops/tracker"
SECRET = "hook-secret-0042"


@pytest.fixture
def queued(db):
    """What the webhooks queued: the syncs recorded in the task outbox, in order."""
    kinds = {tasks.sync_issue.name: "issue", tasks.sync_source.name: "source"}

    def recorded():
        return [(kinds[m.task], tuple(m.args)) for m in OutboxMessage.objects.order_by("id")]

    return recorded


@pytest.fixture
def hooks(monkeypatch, make_source, fake_gitlab, fake_github, fake_forgejo):
    monkeypatch.setenv("TEST_HOOK_SECRET", SECRET)
    return {
        "gitlab": make_source(fake_gitlab, PROJECT, webhook_secret_env="TEST_HOOK_SECRET"),
        "github": make_source(fake_github, REPO, webhook_secret_env="TEST_HOOK_SECRET"),
        "forgejo": make_source(fake_forgejo, FORGE_REPO, webhook_secret_env="TEST_HOOK_SECRET"),
    }


def sign(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def github_post(client, payload, *, delivery="d-1", secret=SECRET, event="issues"):
    body = json.dumps(payload).encode()
    return client.post(
        "/hooks/github/",
        body,
        content_type="application/json",
        headers={
            "X-GitHub-Delivery": delivery,
            "X-GitHub-Event": event,
            "X-Hub-Signature-256": "sha256=" + sign(body, secret),
        },
    )


def github_issue(number=7, action="edited"):
    return {
        "action": action,
        "issue": {"number": number, "title": "x"},
        "repository": {"full_name": REPO},
    }


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


def test_signed_github_delivery_queues_a_sync_of_that_issue_with_its_row(
    hooks, queued, csrf_client
):
    response = github_post(csrf_client, github_issue(7))

    assert response.status_code == 202
    assert queued() == [("issue", (hooks["github"].pk, REPO, 7))]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.kind, delivery.delivery_id, delivery.issue_number) == ("github", "d-1", 7)


def test_replayed_delivery_is_refused_logged_and_changes_nothing(
    hooks, queued, client, caplog, django_capture_on_commit_callbacks
):
    github_post(client, github_issue(7))
    first = queued()

    with (
        caplog.at_level(logging.WARNING, logger="trackers.webhooks"),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        response = github_post(client, github_issue(7))

    assert response.status_code == 409
    assert callbacks == []
    assert queued() == first
    assert WebhookDelivery.objects.count() == 1
    assert "refused github webhook delivery 'd-1'" in caplog.text
    assert "replayed" in caplog.text


def test_a_delivery_and_its_sync_commit_together_and_a_replay_queues_nothing(hooks, queued):
    """The sync goes through the outbox in the delivery's transaction: with the broker down
    the delivery is still accepted (the sync is sent when the broker is back), and the
    sender's redelivery is a replay that queues nothing more."""
    client = Client(raise_request_exception=False)

    first = github_post(client, github_issue(7), delivery="d-9")
    redelivery = github_post(client, github_issue(7), delivery="d-9")

    assert (first.status_code, redelivery.status_code) == (202, 409)
    assert queued() == [("issue", (hooks["github"].pk, REPO, 7))]
    assert WebhookDelivery.objects.get().delivery_id == "d-9"


@pytest.mark.parametrize("secret", ["wrong-secret", ""])
def test_forged_github_delivery_is_refused_and_logged_without_the_secret(
    hooks, queued, client, caplog, secret
):
    with caplog.at_level(logging.WARNING, logger="trackers.webhooks"):
        response = github_post(client, github_issue(7), secret=secret)

    assert response.status_code == 403
    assert not WebhookDelivery.objects.exists()
    assert queued() == []
    assert "bad signature" in caplog.text
    assert SECRET not in caplog.text


def test_signature_over_another_body_is_refused(hooks, queued, client):
    body = json.dumps(github_issue(7)).encode()
    tampered = json.dumps(github_issue(8)).encode()
    response = client.post(
        "/hooks/github/",
        tampered,
        content_type="application/json",
        headers={
            "X-GitHub-Delivery": "d-2",
            "X-GitHub-Event": "issues",
            "X-Hub-Signature-256": "sha256=" + sign(body),
        },
    )
    assert response.status_code == 403


def test_gitlab_delivery_needs_the_shared_token(hooks, queued, client):
    payload = {
        "object_kind": "issue",
        "object_attributes": {"iid": 84, "action": "update"},
        "project": {"id": 1, "path_with_namespace": PROJECT},
    }
    headers = {
        "X-Gitlab-Event": "Issue Hook",
        "X-Gitlab-Event-UUID": "u-1",
        "Idempotency-Key": "k-1",
    }

    forged = client.post(
        "/hooks/gitlab/",
        payload,
        content_type="application/json",
        headers={**headers, "X-Gitlab-Token": "guess"},
    )
    good = client.post(
        "/hooks/gitlab/",
        payload,
        content_type="application/json",
        headers={**headers, "X-Gitlab-Token": SECRET},
    )

    assert (forged.status_code, good.status_code) == (403, 202)
    assert queued() == [("issue", (hooks["gitlab"].pk, PROJECT, 84))]
    assert WebhookDelivery.objects.get().delivery_id == "k-1"  # stable across GitLab retries


def test_forgejo_delivery_is_verified_by_its_hmac(hooks, queued, client):
    body = json.dumps(
        {"action": "closed", "issue": {"number": 3}, "repository": {"full_name": FORGE_REPO}}
    ).encode()
    headers = {"X-Forgejo-Delivery": "f-1", "X-Forgejo-Event": "issues"}

    forged = client.post(
        "/hooks/forgejo/",
        body,
        content_type="application/json",
        headers={**headers, "X-Forgejo-Signature": sign(body, "nope")},
    )
    good = client.post(
        "/hooks/forgejo/",
        body,
        content_type="application/json",
        headers={**headers, "X-Forgejo-Signature": sign(body)},
    )

    assert (forged.status_code, good.status_code) == (403, 202)
    assert queued() == [("issue", (hooks["forgejo"].pk, FORGE_REPO, 3))]


def test_hooks_refuse_everything_when_no_secret_is_configured(
    make_source, fake_github, queued, client
):
    make_source(fake_github, REPO)  # no webhook_secret_env
    response = github_post(client, github_issue(7))
    assert response.status_code == 403
    assert response.json()["reason"] == "no webhook secret is configured for this tracker"


def test_non_issue_events_are_answered_and_ignored(hooks, queued, client):
    response = github_post(
        client, {"zen": "Keep it logically awesome.", "hook_id": 1}, event="ping"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert not WebhookDelivery.objects.exists()


def test_delivery_for_a_project_nobody_syncs_is_refused(hooks, queued, client):
    payload = github_issue(7)
    payload["repository"]["full_name"] = "someone/else"
    assert github_post(client, payload).status_code == 404


def test_hooks_accept_only_post(hooks, client):
    assert client.get("/hooks/github/").status_code == 405


def test_webhook_to_stored_issue_end_to_end(hooks, fake_github, queued, client):
    """A delivery queues a sync of the issue; the task fetches it and stores its new state."""
    fake_github.add_issue(REPO, title="Old title")
    fake_github.update_issue(REPO, 1, title="New title", state="closed")
    github_post(client, github_issue(1, action="closed"))

    ((_, args),) = queued()
    tasks.sync_issue(*args)

    issue = TrackedIssue.objects.get(source=hooks["github"], number=1)
    assert (issue.title, issue.state) == ("New title", "closed")


def signed_github_body(client, body: bytes, *, delivery="d-hostile"):
    return client.post(
        "/hooks/github/",
        body,
        content_type="application/json",
        headers={
            "X-GitHub-Delivery": delivery,
            "X-GitHub-Event": "issues",
            "X-Hub-Signature-256": "sha256=" + sign(body),
        },
    )


def test_a_signed_delivery_nested_too_deep_is_a_400_and_queues_nothing(hooks, queued, client):
    body = b'{"issue": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"

    response = signed_github_body(client, body)

    assert response.status_code == 400
    assert "nested deeper than 32 levels" in response.json()["reason"]
    assert queued() == []
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize("number", [2**31, 10**20])
def test_a_signed_delivery_with_an_issue_number_beyond_the_database_is_a_400(
    hooks, queued, client, number
):
    response = github_post(client, github_issue(number))

    assert response.status_code == 400
    assert f"issue number {number}" in response.json()["reason"]
    assert queued() == []
    assert not WebhookDelivery.objects.exists()


def test_a_signed_delivery_with_a_nul_in_the_project_is_a_400(hooks, queued, client):
    payload = {"action": "edited", "issue": {"number": 7}, "repository": {"full_name": "a\x00b"}}

    response = github_post(client, payload)

    assert response.status_code == 400
    assert queued() == []


def test_a_delivery_over_the_size_limit_is_a_413(hooks, queued, client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    payload = {**github_issue(7), "padding": "x" * 2000}

    response = github_post(client, payload)

    assert response.status_code == 413
    assert queued() == []
