"""Reading run issues: the documented shape and its variants, and never a guess."""

import pytest

from fedimage.ci.parsing import parse_run
from tests.ci.reports import MALFORMED, run_issue

DIGEST = "sha256:" + "ab" * 32


def test_the_documented_shape_reads_as_a_run():
    title, body = run_issue(
        "quay.io/fedora/fedora-bootc:rawhide",
        DIGEST,
        {"amd64": "passed", "arm64": "failed"},
        version="44.20251129.0",
    )
    run = parse_run(title, body)
    assert run.ok
    assert (run.registry, run.repository, run.tag) == ("quay.io", "fedora/fedora-bootc", "rawhide")
    assert run.digest == DIGEST
    assert run.version == "44.20251129.0"
    assert run.results == {"amd64": "passed", "arm64": "failed"}
    assert run.links["arm64"].endswith("/jobs/101")


def test_a_reference_with_its_digest_and_list_items_read_too():
    body = (
        f"Tested quay.io/fedora/fedora-coreos@{DIGEST} (version 43.20251120.3.0)\n"
        "- x86_64: passed\n- aarch64: passed\n* s390x — FAILED, see log\n"
        "Report: https://gitlab.com/fedora/bootc/tests/bootc-workflow-report/-/issues/9"
    )
    run = parse_run("CoreOS next", body)
    assert run.ok
    assert run.reference == "quay.io/fedora/fedora-coreos"
    assert run.tag == ""
    assert run.version == "43.20251120.3.0"
    assert run.results == {"amd64": "passed", "arm64": "passed", "s390x": "failed"}


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("no digest", "no image digest (sha256:…) in the title or description"),
        ("two digests", "2 different digests"),
        ("no results", "no per-architecture result"),
        ("conflicting", "conflicting results for amd64"),
    ],
)
def test_malformed_issues_are_unparsed_with_the_reason(case, reason):
    run = parse_run(*MALFORMED[case])
    assert not run.ok
    assert run.problem.startswith(reason)


def test_a_web_link_is_not_taken_for_the_image():
    body = (
        f"See https://quay.io/repository/fedora/fedora-bootc\nDigest: {DIGEST}\n| x86_64 | PASS |"
    )
    run = parse_run("run", body)
    assert run.problem.startswith("no image reference")
