"""A lead's "Sync now" on /trackers/ and on a source page, in a real Chromium: the run shows
queued -> running (page N of M) -> done in place, with a real worker on Redis doing the sync;
a source paused by a rate limit says when it resumes. Screenshots at laptop and phone widths
go to $SCREENSHOT_DIR (default: the test's temporary folder)."""

import os
import re
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.trackers.conftest import GITHUB_TOKEN
from tests.trackers.fakes import FakeGitHub
from tests.worker import redis_worker
from trackers.models import RunStatus, SyncRun, TrackerSource

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPO = "bootc-dev/bootc"
SIZES = {"laptop": (1280, 900), "phone": (390, 844)}


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sign_in(page, live_server, username, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def snap(page, shots: Path, name: str) -> None:
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=shots / f"trackers-{name}-{size}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_lead_syncs_a_source_now_and_watches_it_run_in_place(
    page, live_server, lead, shots, monkeypatch
):
    monkeypatch.setenv("TEST_GITHUB_TOKEN", GITHUB_TOKEN)
    held = threading.Event()
    go_on = threading.Event()

    def hold_after_first_page(answered: int) -> None:
        # The second page is held back until the test has seen the first one stored.
        if answered == 2:
            held.set()
            go_on.wait(30)

    with FakeGitHub(token=GITHUB_TOKEN) as fake, redis_worker():
        fake.add_issues(REPO, 250)
        fake.between_pages = hold_after_first_page
        TrackerSource.objects.create(
            name="bootc", kind="github", base_url=fake.url, project=REPO,
            token_env="TEST_GITHUB_TOKEN", upstream=True,
        )  # fmt: skip
        TrackerSource.objects.create(
            name="fedora-bootc-tracker", kind="gitlab", base_url="https://gitlab.invalid",
            project="fedora/bootc/tracker",
        )  # fmt: skip
        sign_in(page, live_server, "leader", "pw-lead-123")
        page.goto(f"{live_server.url}/trackers/")
        row = page.get_by_role("row", name=re.compile("^bootc"))
        expect(row).to_contain_text("not synced yet")

        row.get_by_role("button", name="Sync now").click()

        control = page.locator("#sync-bootc")
        expect(control).to_contain_text("Sync queued.")
        expect(control).to_contain_text(re.compile(r"Running|Queued"))
        expect(control).to_contain_text("page 1 of 3", timeout=20_000)
        expect(control.get_by_role("button", name="Sync now")).to_be_disabled()
        snap(page, shots, "sync-now-running")
        go_on.set()

        expect(control).to_contain_text("250 created", timeout=30_000)
        expect(control).to_contain_text("OK")
        expect(control.get_by_role("button", name="Sync now")).to_be_enabled()
        # The row's status and counts follow without a reload.
        expect(row).to_contain_text("up to date")
        expect(row).to_contain_text("Last listing less than a minute ago")
        expect(row).to_contain_text("250 (250 open)")
        snap(page, shots, "sync-now-done")

        run = SyncRun.objects.get(source__name="bootc")
        assert (run.status, run.trigger, run.created) == (RunStatus.OK, "sync now by leader", 250)


def test_a_source_paused_by_a_rate_limit_says_when_it_resumes(page, live_server, lead, shots):
    until = timezone.now() + timedelta(minutes=25)
    TrackerSource.objects.create(
        name="bootc", kind="github", base_url="https://api.github.invalid", project=REPO,
        paused_until=until, failing_since=timezone.now() - timedelta(minutes=3),
        last_error="RateLimited: GitHub issues of bootc-dev/bootc: rate limited",
        listing={"position": {"after": None}, "page": 12, "pages_total": 40},
    )  # fmt: skip
    sign_in(page, live_server, "leader", "pw-lead-123")
    page.goto(f"{live_server.url}/trackers/sources/bootc/")
    expect(page.get_by_role("heading", level=1)).to_have_text("bootc")
    expect(page.locator(".answer")).to_contain_text("resuming at page 13 of 40")

    page.get_by_role("button", name="Sync now").click()

    message = page.locator(".sync-message")
    expect(message).to_contain_text("bootc is paused by a rate limit until")
    expect(message).to_contain_text(re.compile(r"\(in 2[45] minutes\)"))
    assert not SyncRun.objects.exists()
    snap(page, shots, "source-paused")
