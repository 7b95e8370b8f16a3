"""CI results on the pages people read: the runs page, the health grid, the image page, the
release readiness report, and the API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fedimage.ci import services
from fedimage.health.models import TagState
from fedimage.initiative.models import Release
from tests.ci.reports import MALFORMED, run_issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def tested(report, image):
    """One passing run on tag 44 (3 of 4 arches), one failing on 45, one malformed issue."""
    t44 = TagState.objects.get(image=image, tag="44")
    t45 = TagState.objects.get(image=image, tag="45")
    ref = image.reference
    report(
        *run_issue(
            f"{ref}:44", t44.digest, {"amd64": "passed", "arm64": "passed", "s390x": "passed"}
        )
    )
    report(*run_issue(f"{ref}:45", t45.digest, {"amd64": "failed"}, version="45.20261101.0"))
    report(*MALFORMED["no digest"])
    services.runs_refresh()
    return image


def test_the_grid_and_the_image_page_say_built_and_tested(client, tested):
    for url in (reverse("health:grid"), tested.get_absolute_url()):
        page = client.get(url).content.decode()
        assert "CI passed</span>" in page
        assert "tested \u2713 on 3 of 4 arches" in page
        assert "CI failed</span>" in page
        assert "tests failed on amd64 (passed on 0 of 4)" in page
    page = client.get(tested.get_absolute_url()).content.decode()
    assert f"/ci/?image={tested.key}" in page
    assert "CI tests failed on the current build of 45" in page  # the page's answer


def test_the_runs_page_lists_runs_and_unparsed_issues_with_their_reason(client, tested):
    page = client.get(reverse("ci:run-list")).content.decode()
    assert "3 runs read from" in page
    assert "1 could not be read as a test run" in page
    assert "no image digest (sha256:…) in the title or description" in page
    assert "(its current build)" in page
    assert "45.20261101.0" in page
    only = client.get(reverse("ci:run-list"), {"parsed": "no"}).content.decode()
    assert "Unparsed" in only
    assert "45.20261101.0" not in only


def test_the_runs_page_reads_a_fixed_number_of_queries(
    client, tested, report, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("ci:run-list"))
    for _ in range(5):
        report(*MALFORMED["no results"])
    services.runs_refresh()
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("ci:run-list"))


def test_the_api_lists_runs_and_the_tags_carry_their_verdict(client, tested):
    runs = client.get("/api/ci/runs/", {"image": tested.key}).json()
    results = runs["results"] if isinstance(runs, dict) else runs
    assert {r["tag"] for r in results} == {"44", "45"}
    unparsed = client.get("/api/ci/runs/", {"parsed": "false"}).json()
    unparsed = unparsed["results"] if isinstance(unparsed, dict) else unparsed
    assert [r["problem"] for r in unparsed] == [
        "no image digest (sha256:…) in the title or description"
    ]
    tags = client.get("/api/health/tags/").json()
    tags = tags["results"] if isinstance(tags, dict) else tags
    verdicts = {t["tag"]: (t["test_verdict"], t["test_words"]) for t in tags}
    assert verdicts["44"] == ("passed", "tested \u2713 on 3 of 4 arches")
    assert verdicts["45"][0] == "failed"


def test_the_release_readiness_report_says_what_ci_found(client, tested):
    Release.objects.get_or_create(key="f45", defaults={"name": "Fedora 45"})
    page = client.get(reverse("reports:release", kwargs={"key": "f45"})).content.decode()
    assert "tested \u2713 on 3 of 4 arches" in page
    assert "\u2717 tests failed on amd64" in page
    assert "CI tests failed on the current build of 1 tag(s)." in page
