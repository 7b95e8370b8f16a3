"""A real Chromium (Debian's /usr/bin/chromium) driven by Playwright against live_server."""

import os
import shutil

import pytest

# The real registry and its helpers, for the image health pages.
from tests.health.conftest import (  # noqa: F401
    pusher,
    registry,
    registry_memory,
    repo,
    stub_server,
)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

# Playwright's sync API keeps an event loop running in the test thread for the whole session;
# the ORM calls the tests and their teardown make there are ordinary blocking calls, so
# Django's async guard does not apply. (Subprocess tests scrub this variable.)
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is required for browser tests: apt-get install chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-gpu",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Invalid forms answer 400 on purpose; the browser logs that, and nothing else may fail.
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and "status of 400" not in msg.text
            else None
        ),
    )
    yield page
    context.close()
    assert errors == [], f"the browser reported errors: {errors}"
