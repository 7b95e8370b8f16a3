"""The `[[trackers]]` section of the initiative file: the issue trackers fedimage syncs.

    [[trackers]]
    name = "fedora-bootc-tracker"         # a slug, used by `sync_trackers --source`
    kind = "gitlab"                       # gitlab, github or forgejo
    base_url = "https://gitlab.com"       # default: gitlab.com / api.github.com; forgejo: required
    project = "fedora/bootc/tracker"      # project path, owner/name, or a group path
    group = false                         # GitLab only: `project` is a group
    board = 1234                          # GitLab only: the board whose lists are columns
    token_env = "FEDIMAGE_GITLAB_TOKEN"   # NAME of the environment variable holding the token
    webhook_secret_env = "FEDIMAGE_GITLAB_WEBHOOK_SECRET"
    upstream = false                      # shown in the upstream view (default: GitHub sources)
    subproject = "base-images"
    enabled = true

Tokens and secrets never go in the file, only the names of the variables that hold them.
Registered in TrackersConfig.ready(): parsed with the other sections (one bad line rejects the
whole file) and applied after the initiative's, in the same transaction. A source dropped from
the file is disabled, not deleted, so its issues stay readable.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from fedimage.core.initiative_file import LoadReport, Locator, Reader, Section, array, unique
from fedimage.initiative.models import Subproject
from trackers.models import GITHUB_API, TrackerKind, TrackerSource

SECTION = "trackers"
DEFAULT_BASE_URLS = {"gitlab": "https://gitlab.com", "github": GITHUB_API}
ALLOWED = {
    "name", "kind", "base_url", "project", "group", "board", "token_env", "webhook_secret_env",
    "upstream", "subproject", "enabled", "order",
}  # fmt: skip
_ENV_RE = re.compile(r"^[A-Z_][A-Z0-9_]{0,99}$")
_PART = r"[A-Za-z0-9_.][A-Za-z0-9_.-]*"
_OWNER_NAME_RE = re.compile(rf"^{_PART}/{_PART}$")
_GITLAB_PATH_RE = re.compile(rf"^{_PART}(/{_PART})*$")


def parse_trackers(
    loc: Locator, data: dict[str, Any], parsed: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Validate every `[[trackers]]` table; raise InitiativeFileError naming the line."""
    subprojects = parsed["initiative"].subproject_keys
    specs = []
    for i, table in enumerate(array(loc, data, SECTION)):
        r = Reader(loc, SECTION, i, table)
        for secret in ("token", "secret", "webhook_secret", "password"):
            if secret in r.table:
                r.fail(
                    secret,
                    "never put a secret in the file: name its environment variable "
                    "in token_env or webhook_secret_env",
                )
        r.only(ALLOWED)
        kind = r.choice("kind", {k.value: k.value for k in TrackerKind}, None)
        if kind is None:
            r.fail(None, "'kind' is required (gitlab, github or forgejo)")
        base_url = r.text("base_url", max_length=300).rstrip("/") or DEFAULT_BASE_URLS.get(kind, "")
        if not base_url:
            r.fail(None, f"'base_url' is required for {kind}")
        _check_base_url(r, base_url)
        project = r.text("project", required=True, max_length=300).strip("/")
        group = r.get("group", bool, default=False)
        if kind == "gitlab":
            if not _GITLAB_PATH_RE.match(project):
                r.fail("project", f"'{project}' is not a GitLab project or group path")
        elif group:
            r.fail("group", f"groups are a GitLab feature, not {kind}")
        elif not _OWNER_NAME_RE.match(project):
            r.fail("project", f"'{project}' is not a repository like owner/name")
        board = r.get("board", int)
        if board is not None and (kind != "gitlab" or not 1 <= board <= 2**31 - 1):
            r.fail("board", "a GitLab board id (a positive integer)")
        envs = {}
        for key in ("token_env", "webhook_secret_env"):
            value = r.text(key, max_length=100)
            if value and not _ENV_RE.match(value):
                r.fail(key, f"'{value}' is not an environment variable name like FEDIMAGE_TOKEN")
            envs[key] = value
        subproject = r.text("subproject", max_length=80)
        if subproject and subproject not in subprojects:
            r.fail("subproject", f"unknown subproject '{subproject}'")
        order = r.small_int("order", i)
        specs.append({
            "name": r.slug("name"),
            "kind": kind,
            "base_url": base_url,
            "project": project,
            "is_group": group,
            "board_id": board,
            **envs,
            "upstream": r.get("upstream", bool, default=kind == "github"),
            "subproject": subproject or None,
            "enabled": r.get("enabled", bool, default=True),
            "order": order,
        })  # fmt: skip
    unique(loc, SECTION, [spec["name"] for spec in specs], key="name")
    seen: dict[tuple[str, str, str], int] = {}
    for i, spec in enumerate(specs):
        identity = (spec["kind"], spec["base_url"], spec["project"])
        if identity in seen:
            r = Reader(loc, SECTION, i, data[SECTION][i])
            r.fail("project", f"already declared by trackers[{seen[identity] + 1}]")
        seen[identity] = i
    return specs


def _check_base_url(r: Reader, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        r.fail("base_url", f"'{url}' is not an http(s) URL")
    # A token must never travel in clear text; plain HTTP is for local test servers only.
    if parts.scheme == "http" and not _is_loopback(parts.hostname or ""):
        r.fail("base_url", "plain http:// is allowed only for loopback addresses (127.0.0.1)")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def apply_trackers(specs: list[dict[str, Any]], report: LoadReport) -> None:
    """Create or update the sources (inside the loader's transaction); disable dropped ones."""
    subprojects = {s.key: s for s in Subproject.objects.all()}
    existing = {s.name: s for s in TrackerSource.objects.all()}
    for spec in specs:
        values = {k: v for k, v in spec.items() if k not in ("name", "subproject")}
        values["subproject"] = subprojects.get(spec["subproject"]) if spec["subproject"] else None
        source = existing.get(spec["name"])
        if source is None:
            source = TrackerSource(name=spec["name"], **values)
            source.full_clean()
            source.save()
            report.count("created", SECTION)
            continue
        changed = [name for name, value in values.items() if getattr(source, name) != value]
        if not changed:
            report.count("unchanged", SECTION)
            continue
        moved = {"kind", "base_url", "project", "is_group"} & set(changed)
        for name in changed:
            setattr(source, name, values[name])
        update = list(changed)
        if moved or "board_id" in changed:
            # Another project or board: the cursor, ETag and columns describe the old one.
            source.cursor, source.etag, source.board_columns, source.board_name = None, "", [], ""
            update += ["cursor", "etag", "board_columns", "board_name"]
        source.full_clean()
        source.save(update_fields=update)
        report.count("updated", SECTION)
    names = {spec["name"] for spec in specs}
    dropped = TrackerSource.objects.exclude(name__in=names)
    dropped.filter(enabled=True).update(enabled=False)
    extra = list(dropped.values_list("name", flat=True))
    if extra:
        report.not_in_file[SECTION] = extra


TRACKERS = Section(
    name=SECTION,
    tables=(SECTION,),
    reports=(SECTION,),
    parse=parse_trackers,
    apply=apply_trackers,
    order=20,
)
