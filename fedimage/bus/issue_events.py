"""Tracker issue events as Fedora's webhook relay puts them on the bus, read tolerantly.

Fedora's "Webhook To Fedora Messaging" service turns a forge's or GitLab's webhook into a
message whose body is `{"headers": {...}, "body": <the webhook payload>}`, on the topic
`<prefix>.<service>.<event>`: `gitlab.issue`, `gitlab.note` (comments), `forgejo.issues`,
`forgejo.issue_comment`, `github.issues`, `github.issue_comment`. Anything else, or a payload
missing what is needed, is not an issue event (None), never an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

# The service and event words at the end of a topic, and the tracker kind they come from.
TOPICS = {
    ("gitlab", "issue"): "gitlab",
    ("gitlab", "note"): "gitlab",
    ("forgejo", "issues"): "forgejo",
    ("forgejo", "issue_comment"): "forgejo",
    ("github", "issues"): "github",
    ("github", "issue_comment"): "github",
}
# The routing keys a consumer binds (with the deployment's prefix in front).
ROUTING_KEYS = [f"{service}.{event}" for service, event in TOPICS]


@dataclass(frozen=True)
class IssueEvent:
    kind: str  # gitlab, forgejo, github
    host: str  # the tracker's web host, e.g. gitlab.com
    project: str  # path_with_namespace or owner/name
    number: int
    event: str  # the topic's last two words


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _host(url: Any) -> str:
    return (urlsplit(url).hostname or "").lower() if isinstance(url, str) else ""


def _number(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return None
    return value


def issue_event(topic: str, body: Any) -> IssueEvent | None:
    """The issue a relayed webhook message is about, or None."""
    words = topic.split(".")
    if len(words) < 2:
        return None
    service, event = words[-2], words[-1]
    kind = TOPICS.get((service, event))
    payload = _dig(body, "body")
    if kind is None or not isinstance(payload, dict):
        return None
    if kind == "gitlab":
        project = _dig(payload, "project", "path_with_namespace")
        host = _host(_dig(payload, "project", "web_url"))
        if event == "issue":
            number = _number(_dig(payload, "object_attributes", "iid"))
        elif _dig(payload, "object_attributes", "noteable_type") == "Issue":
            number = _number(_dig(payload, "issue", "iid"))
        else:
            return None
    else:
        if _dig(payload, "issue", "pull_request"):
            return None  # a pull request's event: not an issue
        project = _dig(payload, "repository", "full_name")
        host = _host(_dig(payload, "repository", "html_url"))
        number = _number(_dig(payload, "issue", "number"))
    if not isinstance(project, str) or not project or number is None or not host:
        return None
    return IssueEvent(
        kind=kind, host=host, project=project, number=number, event=f"{service}.{event}"
    )
