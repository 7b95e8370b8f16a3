"""Webhook authentication and payload reading for GitLab, GitHub and Forgejo.

A delivery is verified before its body is trusted: against every secret configured for that
kind of tracker (secrets live in the environment variables the initiative file names), in
constant time. Only then is the JSON read to find the source and the issue it is about,
within fedimage.core.inputs' limits: bodies of at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes (413),
JSON at most JSON_MAX_DEPTH levels deep, issue numbers that fit the database (400).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from fedimage.core import inputs
from trackers.models import TrackerKind, TrackerSource
from trackers.selectors import webhook_sources
from trackers.services import Delivery

# (kind, delivery id headers, event headers), first header present wins.
HEADERS = {
    TrackerKind.GITLAB: (("Idempotency-Key", "X-Gitlab-Event-UUID"), ("X-Gitlab-Event",)),
    TrackerKind.GITHUB: (("X-GitHub-Delivery",), ("X-GitHub-Event",)),
    TrackerKind.FORGEJO: (
        ("X-Forgejo-Delivery", "X-Gitea-Delivery"),
        ("X-Forgejo-Event", "X-Gitea-Event"),
    ),
}
ISSUE_EVENTS = {"Issue Hook", "Confidential Issue Hook", "issues"}


class Refused(Exception):
    """The delivery is refused; `status` is the HTTP answer, the message says why (logged)."""

    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        super().__init__(reason)


@dataclass(frozen=True)
class Verified:
    source: TrackerSource | None
    delivery: Delivery
    issue_event: bool


def _header(request: HttpRequest, names: tuple[str, ...]) -> str:
    for name in names:
        value = request.headers.get(name, "").strip()
        if value:
            return value
    return ""


def _secrets(kind: str) -> list[tuple[TrackerSource, bytes]]:
    pairs = []
    for source in webhook_sources(kind=kind):
        secret = os.environ.get(source.webhook_secret_env, "")
        if secret:
            pairs.append((source, secret.encode()))
    return pairs


def _signature_ok(kind: str, request: HttpRequest, secret: bytes) -> bool:
    body = request.body
    if kind == TrackerKind.GITLAB:
        given = request.headers.get("X-Gitlab-Token", "").encode()
        return bool(given) and hmac.compare_digest(given, secret)
    if kind == TrackerKind.GITHUB:
        given = request.headers.get("X-Hub-Signature-256", "")
        expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    else:
        given = request.headers.get("X-Forgejo-Signature") or request.headers.get(
            "X-Gitea-Signature", ""
        )
        expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
    return bool(given) and hmac.compare_digest(given.strip().lower().encode(), expected.encode())


def verify(kind: str, request: HttpRequest) -> Verified:
    """Authenticate a delivery and read what it is about, or raise Refused."""
    id_headers, event_headers = HEADERS[TrackerKind(kind)]
    delivery_id = _header(request, id_headers)
    if not delivery_id or len(delivery_id) > 200 or "\x00" in delivery_id:
        raise Refused(400, f"no usable delivery id ({id_headers[0]})")
    secrets = _secrets(kind)
    if not secrets:
        raise Refused(403, "no webhook secret is configured for this tracker")
    # Every secret is checked (constant time each); a match decides, not the order.
    matching = [source for source, secret in secrets if _signature_ok(kind, request, secret)]
    if not matching:
        raise Refused(403, "bad signature or token")
    try:
        payload = inputs.json_loads(request.body)
    except inputs.InputRefused as refused:
        raise Refused(400, str(refused)) from None
    if not isinstance(payload, dict):
        raise Refused(400, "the body is not a JSON object")
    event = _header(request, event_headers).replace("\x00", "")
    project, number = _subject(kind, payload)
    source = _source_for(matching, project)
    issue_event = event in ISSUE_EVENTS and number is not None
    return Verified(
        source=source,
        delivery=Delivery(
            kind=kind,
            delivery_id=delivery_id,
            event=event,
            project=project,
            number=number if issue_event else None,
        ),
        issue_event=issue_event,
    )


def _subject(kind: str, payload: dict[str, Any]) -> tuple[str, int | None]:
    """The project path and issue number a payload is about (number None if no issue)."""
    if kind == TrackerKind.GITLAB:
        project = _dig(payload, "project", "path_with_namespace")
        number = _dig(payload, "object_attributes", "iid")
    else:
        project = _dig(payload, "repository", "full_name")
        number = _dig(payload, "issue", "number")
    if not isinstance(project, str):
        project = ""
    if "\x00" in project:
        raise Refused(400, "the project path holds a null character")
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        number = None
    elif number > inputs.INT_MAX:
        raise Refused(400, f"issue number {number} is beyond {inputs.INT_MAX}")
    return project, number


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _source_for(sources: list[TrackerSource], project: str) -> TrackerSource | None:
    """The source holding `project`: the project itself, else a group containing it."""
    if not project:
        return None
    exact = [s for s in sources if not s.is_group and s.project == project]
    if exact:
        return exact[0]
    groups = [s for s in sources if s.is_group and project.startswith(s.project + "/")]
    return max(groups, key=lambda s: len(s.project), default=None)
