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
from typing import Annotated, Any, Self
from urllib.parse import urlsplit

from pydantic import AfterValidator, ValidationInfo, model_validator

from fedimage.core.file_schema import (
    FileSchema,
    SmallInt,
    Table,
    known,
    number_in_order,
    one_of,
    problem,
    slug,
    text,
    unique,
)
from fedimage.core.initiative_file import LoadReport, Section, upsert_by_key
from fedimage.initiative.models import Subproject
from trackers.models import GITHUB_API, TrackerKind, TrackerSource

SECTION = "trackers"
DEFAULT_BASE_URLS = {"gitlab": "https://gitlab.com", "github": GITHUB_API}
_ENV_RE = re.compile(r"^[A-Z_][A-Z0-9_]{0,99}$")
_PART = r"[A-Za-z0-9_.][A-Za-z0-9_.-]*"
_OWNER_NAME_RE = re.compile(rf"^{_PART}/{_PART}$")
_GITLAB_PATH_RE = re.compile(rf"^{_PART}(/{_PART})*$")
_NAME_THE_VARIABLE = (
    "never put a secret in the file: name its environment variable "
    "in token_env or webhook_secret_env"
)
# What moves a source to another project or board: its cursor, ETag and columns describe the
# old one and are reset.
MOVED = {"kind", "base_url", "project", "is_group", "board_id"}


def _env_name(value: str) -> str:
    if value and not _ENV_RE.match(value):
        raise problem(f"'{value}' is not an environment variable name like FEDIMAGE_TOKEN")
    return value


EnvName = Annotated[str, text(100), AfterValidator(_env_name)]


class TrackerTable(Table):
    """`[[trackers]]`: an issue tracker project (or GitLab group) fedimage syncs."""

    refused = dict.fromkeys(("token", "secret", "webhook_secret", "password"), _NAME_THE_VARIABLE)

    name: Annotated[str, slug()]
    kind: Annotated[str, one_of({k.value: k.value for k in TrackerKind})] | None = None
    base_url: Annotated[str, text(300)] = ""
    project: Annotated[str, text(300, required=True)]
    group: bool = False
    board: int | None = None
    token_env: EnvName = ""
    webhook_secret_env: EnvName = ""
    upstream: bool | None = None
    subproject: Annotated[str, text(80)] = ""
    enabled: bool = True
    order: SmallInt | None = None

    @model_validator(mode="after")
    def consistent(self) -> Self:
        kind = self.kind
        if kind is None:
            raise problem("'kind' is required (gitlab, github or forgejo)")
        self.base_url = self.base_url.rstrip("/") or DEFAULT_BASE_URLS.get(kind, "")
        if not self.base_url:
            raise problem(f"'base_url' is required for {kind}")
        _check_base_url(self.base_url)
        self.project = self.project.strip("/")
        if kind == "gitlab":
            if not _GITLAB_PATH_RE.match(self.project):
                raise problem(f"'{self.project}' is not a GitLab project or group path", "project")
        elif self.group:
            raise problem(f"groups are a GitLab feature, not {kind}", "group")
        elif not _OWNER_NAME_RE.match(self.project):
            raise problem(f"'{self.project}' is not a repository like owner/name", "project")
        if self.board is not None and (kind != "gitlab" or not 1 <= self.board <= 2**31 - 1):
            raise problem("a GitLab board id (a positive integer)", "board")
        if self.upstream is None:
            self.upstream = kind == "github"
        return self

    def values(self) -> dict[str, Any]:
        """The TrackerSource's fields (`subproject` still as a key)."""
        values = self.model_dump(exclude={"group", "board"})
        return {**values, "is_group": self.group, "board_id": self.board}


class TrackersSchema(FileSchema):
    """The `[[trackers]]` tables, keyed by `name`; each project declared once."""

    trackers: list[TrackerTable] = []

    @model_validator(mode="after")
    def names_and_references(self, info: ValidationInfo) -> Self:
        subprojects = (info.context or {})["initiative"].subproject_keys
        unique(SECTION, [t.name for t in self.trackers], key="name")
        number_in_order(self.trackers)
        seen: dict[tuple[str | None, str, str], int] = {}
        for i, t in enumerate(self.trackers):
            known(t.subproject, subprojects, "subproject", SECTION, i, "subproject")
            identity = (t.kind, t.base_url, t.project)
            if identity in seen:
                raise problem(
                    f"already declared by trackers[{seen[identity] + 1}]", SECTION, i, "project"
                )
            seen[identity] = i
        return self


def _check_base_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise problem(f"'{url}' is not an http(s) URL", "base_url")
    # A token must never travel in clear text; plain HTTP is for local test servers only.
    if parts.scheme == "http" and not _is_loopback(parts.hostname or ""):
        raise problem(
            "plain http:// is allowed only for loopback addresses (127.0.0.1)", "base_url"
        )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def apply_trackers(parsed: TrackersSchema, report: LoadReport) -> None:
    """Create or update the sources (inside the loader's transaction); disable dropped ones."""
    subprojects = {s.key: s for s in Subproject.objects.all()}
    existing = {s.name: s for s in TrackerSource.objects.all()}
    for spec in parsed.trackers:
        values = spec.values()
        values["subproject"] = subprojects[spec.subproject] if spec.subproject else None
        upsert_by_key(
            TrackerSource,
            existing,
            values,
            key="name",
            report=report,
            kind=SECTION,
            save=_save_source,
        )
    names = {spec.name for spec in parsed.trackers}
    dropped = TrackerSource.objects.exclude(name__in=names)
    dropped.filter(enabled=True).update(enabled=False)
    extra = list(dropped.values_list("name", flat=True))
    if extra:
        report.not_in_file[SECTION] = extra


def _save_source(source: TrackerSource, changed: list[str] | None) -> None:
    if changed is None:
        source.save()
        return
    update = list(changed)
    if MOVED & set(changed):
        # Another project or board: the cursor, ETag and columns describe the old one.
        source.cursor, source.etag, source.board_columns, source.board_name = None, "", [], ""
        update += ["cursor", "etag", "board_columns", "board_name"]
    source.save(update_fields=update)


TRACKERS = Section(
    name=SECTION, schema=TrackersSchema, reports=(SECTION,), apply=apply_trackers, order=20
)
