"""Messages of Fedora's webhook relay ("Webhook To Fedora Messaging"), shaped as it sends them:
`{"headers": <the webhook's headers, lower-cased>, "body": <the webhook's payload>}`.
Trimmed from the relay's own test events (GitLab "Issue Hook" and "Note Hook", Forgejo
"issues"); the fields fedimage reads are kept exactly where the relay puts them.
"""

from __future__ import annotations

from typing import Any


def gitlab_issue(web: str, project: str, iid: int, *, action: str = "open") -> dict[str, Any]:
    return {
        "headers": {
            "user-agent": "GitLab/18.1.0-pre",
            "content-type": "application/json",
            "x-gitlab-event": "Issue Hook",
            "x-gitlab-webhook-uuid": "d8f68799-4960-45f9-9b5c-b4c79f2a455c",
            "x-gitlab-event-uuid": "e3740e5a-30ae-4d89-9c78-e735b43ec5f8",
        },
        "body": {
            "object_kind": "issue",
            "event_type": "issue",
            "user": {"id": 16997011, "name": "Shounak Dey", "username": "sdglitched"},
            "project": {
                "id": 69912300,
                "name": project.rsplit("/", 1)[-1],
                "web_url": f"{web}/{project}",
                "path_with_namespace": project,
                "default_branch": "main",
            },
            "object_attributes": {
                "id": 167465239,
                "iid": iid,
                "title": "Release race condition in Konflux",
                "state": "opened",
                "action": action,
                "url": f"{web}/{project}/-/issues/{iid}",
                "confidential": False,
                "updated_at": "2025-05-16 15:10:24 UTC",
            },
            "labels": [{"id": 40565189, "title": "bug"}],
            "repository": {"name": project.rsplit("/", 1)[-1], "homepage": f"{web}/{project}"},
        },
    }


def gitlab_note(web: str, project: str, iid: int, *, noteable: str = "Issue") -> dict[str, Any]:
    return {
        "headers": {
            "x-gitlab-event": "Note Hook",
            "x-gitlab-webhook-uuid": "d8f68799-4960-45f9-9b5c-b4c79f2a455c",
            "x-gitlab-event-uuid": "0b9d2f4e-6f43-4a8e-9d4e-3f0e3f1c2a11",
        },
        "body": {
            "object_kind": "note",
            "user": {"username": "sdglitched"},
            "project": {"web_url": f"{web}/{project}", "path_with_namespace": project},
            "object_attributes": {"noteable_type": noteable, "note": "Still broken."},
            "issue": {"iid": iid, "title": "Release race condition in Konflux"},
            "merge_request": {"iid": iid} if noteable == "MergeRequest" else None,
        },
    }


def forgejo_issue(web: str, repo: str, number: int, *, pull: bool = False) -> dict[str, Any]:
    return {
        "headers": {"x-forgejo-event": "issues", "x-forgejo-delivery": "6d5b9c1e-0f1f"},
        "body": {
            "action": "opened",
            "number": number,
            "issue": {
                "id": 4242,
                "number": number,
                "title": "Silverblue 45 fails to boot",
                "html_url": f"{web}/{repo}/issues/{number}",
                "state": "open",
                "pull_request": {"merged": False} if pull else None,
            },
            "repository": {
                "id": 77,
                "name": repo.rsplit("/", 1)[-1],
                "full_name": repo,
                "html_url": f"{web}/{repo}",
            },
            "sender": {"login": "jdoe"},
        },
    }
