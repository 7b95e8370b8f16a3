"""Issue references: which tracker project and issue number a URL or `group/project#N` names.

Domain-neutral text parsing: the initiative derives a blocker's tracking key from it, the
trackers app matches blockers to the issues it holds, the agenda links closed issues.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_GITLAB_URL = re.compile(r"^/(?P<project>.+?)/-/(?:issues|work_items)/(?P<number>\d+)/?$")
_HUB_URL = re.compile(r"^/(?P<project>[^/]+/[^/]+)/issues/(?P<number>\d+)/?$")
_REFERENCE = re.compile(r"^(?P<project>[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+)#(?P<number>\d+)$")


def parse_issue_reference(text: str) -> tuple[str | None, str, int] | None:
    """(host or None, project path, number) of an issue URL or a `group/project#N` reference.

    Understands https://gitlab.com/fedora/bootc/tracker/-/issues/84,
    https://github.com/bootc-dev/bootc/issues/123, Forgejo's /owner/repo/issues/N and
    references like bootc-dev/bootc#123.
    """
    text = (text or "").strip()
    match = _REFERENCE.match(text)
    if match:
        return None, match["project"], int(match["number"])
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    for pattern in (_GITLAB_URL, _HUB_URL):
        match = pattern.match(parts.path)
        if match:
            return parts.hostname.lower(), match["project"], int(match["number"])
    return None
