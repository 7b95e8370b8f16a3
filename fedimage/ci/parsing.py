"""Reading a bootc-workflow-report issue as a test run, tolerantly and without guessing.

The initiative's CI opens one issue per test run in gitlab.com/fedora/bootc/tests/
bootc-workflow-report. What is read (title and description alike; Markdown tables, lists or
plain lines):

    Image: quay.io/fedora/fedora-bootc:rawhide          the image reference (tag optional)
    Digest: sha256:<64 hex>                             or `<reference>@sha256:<hex>`
    Version: 44.20251129.0                              optional
    | x86_64  | PASS | https://.../log |                one line per architecture, naming it
    | aarch64 | FAIL | https://.../log |                and its result (pass/passed/success/✅,
                                                         fail/failed/failure/error/❌)

An issue that does not say which digest it tested, or no result for any architecture, or two
different digests, or two results for one architecture, is "unparsed" with that reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Fedora's architecture names and the OCI ones the watched images use.
ARCHES = {
    "x86_64": "amd64",
    "amd64": "amd64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
}
PASSED, FAILED = "passed", "failed"

_DIGEST = re.compile(r"\bsha256:([0-9a-f]{64})\b")
_REFERENCE = re.compile(
    r"(?P<registry>(?:[a-z0-9-]+\.)+[a-z0-9-]+(?::\d{1,5})?|localhost(?::\d{1,5})?"
    r"|127\.0\.0\.1:\d{1,5})/(?P<repository>[a-z0-9]+(?:[._/-][a-z0-9]+)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9._-]{0,127}))?(?:@sha256:[0-9a-f]{64})?"
)
_VERSION = re.compile(r"\bversion\b[^0-9A-Za-z]{0,5}([0-9][0-9A-Za-z._-]{0,60})", re.IGNORECASE)
_VERSION_SHAPE = re.compile(r"\b(\d{2}\.\d{8}\.\d+)\b")
_ARCH = re.compile(r"(?<![A-Za-z0-9_])(x86_64|amd64|aarch64|arm64|ppc64le|s390x)(?![A-Za-z0-9_])")
_PASS = re.compile(r"(?<![A-Za-z])(pass|passed|success|succeeded)(?![A-Za-z])|✅|✔|✓", re.I)
_FAIL = re.compile(
    r"(?<![A-Za-z])(fail|failed|failure|failing|error|errored)(?![A-Za-z])|❌|✗|✘", re.I
)
_URL = re.compile(r"https?://[^\s|)>\]]+")
# Only these hosts are registries in a reference (a URL's host is not an image).
_NOT_REGISTRIES = {"gitlab.com", "github.com", "forge.fedoraproject.org"}


@dataclass
class ParsedRun:
    registry: str = ""
    repository: str = ""
    tag: str = ""
    digest: str = ""
    version: str = ""
    results: dict[str, str] = field(default_factory=dict)  # OCI arch -> passed/failed
    links: dict[str, str] = field(default_factory=dict)  # OCI arch -> its log, if given
    problem: str = ""  # why it is not a test run; empty when it is

    @property
    def ok(self) -> bool:
        return not self.problem

    @property
    def reference(self) -> str:
        return f"{self.registry}/{self.repository}" if self.registry else ""


def parse_run(title: str, body: str) -> ParsedRun:
    """Read a run from an issue's title and description; `problem` says why not, if not."""
    text = f"{title}\n{body or ''}"
    run = ParsedRun()
    digests = list(dict.fromkeys(_DIGEST.findall(text)))
    if not digests:
        run.problem = "no image digest (sha256:…) in the title or description"
        return run
    if len(digests) > 1:
        shown = ", ".join(f"sha256:{d[:12]}…" for d in digests[:3])
        run.problem = f"{len(digests)} different digests ({shown}): which one was tested?"
        return run
    run.digest = f"sha256:{digests[0]}"
    for match in _REFERENCE.finditer(text):
        if match.group("registry").lower() in _NOT_REGISTRIES:
            continue
        start = match.start()
        if start >= 3 and text[start - 3 : start] == "://":
            continue  # a web link, not an image reference
        run.registry = match.group("registry").lower()
        run.repository = match.group("repository")
        run.tag = match.group("tag") or ""
        break
    if not run.registry:
        run.problem = "no image reference (such as quay.io/fedora/fedora-bootc:rawhide)"
        return run
    version = _VERSION.search(text) or _VERSION_SHAPE.search(text)
    run.version = version.group(1).rstrip(".") if version else ""
    for line in text.splitlines():
        arches = {ARCHES[a] for a in _ARCH.findall(line)}
        if len(arches) != 1:
            continue  # no architecture, or several on one line: not a per-arch result
        arch = arches.pop()
        passed, failed = bool(_PASS.search(line)), bool(_FAIL.search(line))
        if passed == failed:
            continue  # no verdict on this line (or both words): not a result line
        result = PASSED if passed else FAILED
        if run.results.get(arch, result) != result:
            run.problem = f"conflicting results for {arch}"
            return run
        run.results[arch] = result
        link = _URL.search(line)
        if link and arch not in run.links:
            run.links[arch] = link.group(0)
    if not run.results:
        run.problem = "no per-architecture result (a line naming an architecture and PASS or FAIL)"
    return run
