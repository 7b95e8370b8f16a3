"""A lead polls images now from /health/ and from an image page, in the real browser, with a
real worker and the real registry; the progress updates in place and the states follow."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from fedimage.health.models import HealthState, PollRun, PollStatus, TagState
from fedimage.initiative.rules import LEAD_GROUP
from tests.browser.test_blocker_flow import sign_in
from tests.health.factories import WatchedImageFactory, watch
from tests.health.oci import TWO_ARCHES, iso
from tests.health.registry_server import StubResponse, StubServer
from tests.worker import redis_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"laptop": (1280, 900), "phone": (390, 844)}


def shoot(page, folder: Path, name: str) -> None:
    """Screenshot the page at laptop and phone widths (FEDIMAGE_SCREENSHOTS keeps them)."""
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=folder / f"{name}-{size}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("FEDIMAGE_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def lead_user(django_user_model):
    user = django_user_model.objects.create_user("leader", password="pw-lead-123")
    user.groups.add(Group.objects.get_or_create(name=LEAD_GROUP)[0])
    return user


def test_a_lead_polls_every_image_now_and_watches_it_finish(
    page,
    live_server,
    lead_user,
    registry,
    pusher,
    repo,
    shots,
) -> None:
    built = iso(timezone.now() - timedelta(hours=2))
    for n, name in enumerate(("Fedora bootc", "Fedora CoreOS")):
        pusher.push_multiarch(f"{repo}-{n}", "44", architectures=TWO_ARCHES, created=built)
        WatchedImageFactory(name=name, registry=registry.host, repository=f"{repo}-{n}")
    sign_in(page, live_server, "leader", "pw-lead-123")

    with redis_worker():
        page.goto(f"{live_server.url}/health/")
        expect(page.get_by_text("0 of 2 watched tags healthy")).to_be_visible()
        shoot(page, shots, "health-grid-before-poll-now")
        page.get_by_role("button", name="Poll now").click()
        progress = page.locator("#poll-progress")
        expect(progress).to_be_visible()
        expect(progress.get_by_role("heading")).to_contain_text("Poll done", timeout=60_000)

    expect(progress).to_contain_text("2 of 2 tags checked · 2 changed · 2 new digests read.")
    # The grid and the counts reloaded in place: the new states are on the page.
    expect(page.get_by_text("2 of 2 watched tags healthy")).to_be_visible()
    expect(page.locator("#health-grid").get_by_text("built 2 hours ago").first).to_be_visible()
    assert set(TagState.objects.values_list("state", flat=True)) == {HealthState.HEALTHY}
    shoot(page, shots, "health-grid-after-poll-now")


def test_poll_now_on_an_image_says_the_registry_is_throttling_and_when_it_resumes(
    page, live_server, lead_user, stub_server: StubServer, shots
) -> None:
    stub_server.route("*", "/v2/r/manifests/44", StubResponse(429, {"Retry-After": "600"}))
    image = watch(stub_server, "r", name="Fedora IoT", key="fedora-iot")
    sign_in(page, live_server, "leader", "pw-lead-123")

    with redis_worker():
        page.goto(f"{live_server.url}/health/images/fedora-iot/")
        page.get_by_role("button", name="Poll now").click()
        progress = page.locator("#poll-progress")
        expect(progress).to_contain_text("Waiting for the registry", timeout=30_000)

    expect(progress).to_contain_text(
        f"{stub_server.host} is throttling requests (HTTP 429); trying again in 10 minutes (at "
    )
    run = PollRun.objects.get(image=image)
    assert run.status == PollStatus.WAITING
    shoot(page, shots, "health-image-throttled")

    # Asked again meanwhile: no second poll, the same progress.
    page.goto(f"{live_server.url}/health/images/fedora-iot/")
    expect(page.locator("#poll-progress")).to_contain_text("Waiting for the registry")
    assert PollRun.objects.count() == 1
