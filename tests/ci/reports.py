"""Run issues as the initiative's CI writes them in fedora/bootc/tests/bootc-workflow-report,
in the shape documented in the README ("CI results"), and malformed ones."""

from __future__ import annotations

PROJECT = "fedora/bootc/tests/bootc-workflow-report"

LABELS = {"x86_64": "x86_64", "amd64": "x86_64", "arm64": "aarch64", "aarch64": "aarch64"}


def run_issue(reference: str, digest: str, results: dict[str, str], *, version: str = "") -> tuple:
    """(title, description) of a run: a Markdown table of results, one row per architecture."""
    rows = "\n".join(
        f"| {LABELS.get(arch, arch)} | {'✅ PASS' if ok == 'passed' else '❌ FAIL'} "
        f"| https://gitlab.com/fedora/bootc/tests/bootc-workflow/-/jobs/{100 + i} |"
        for i, (arch, ok) in enumerate(results.items())
    )
    title = f"bootc workflow test: {reference.rsplit('/', 1)[-1]} {version}".strip()
    body = (
        f"Image: {reference}\n"
        f"Digest: {digest}\n"
        + (f"Version: {version}\n" if version else "")
        + "\n| Architecture | Result | Log |\n|---|---|---|\n"
        + rows
        + "\n\nTriggered by the nightly compose."
    )
    return title, body


MALFORMED = {
    "no digest": (
        "bootc workflow test: fedora-bootc rawhide",
        "Image: quay.io/fedora/fedora-bootc:rawhide\n| x86_64 | PASS |",
    ),
    "two digests": (
        "bootc workflow test",
        "Image: quay.io/fedora/fedora-bootc@sha256:"
        + "1" * 64
        + "\nbase sha256:"
        + "2" * 64
        + "\n| x86_64 | PASS |",
    ),
    "no results": (
        "bootc workflow test",
        "Image: quay.io/fedora/fedora-bootc:rawhide\nDigest: sha256:"
        + "3" * 64
        + "\nThe run is still in progress.",
    ),
    "conflicting": (
        "bootc workflow test",
        "Image: quay.io/fedora/fedora-bootc:44\nDigest: sha256:"
        + "4" * 64
        + "\n- x86_64: PASS\n- x86_64: FAIL (rerun)",
    ),
}
