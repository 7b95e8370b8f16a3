"""Sign in with Fedora in a real browser, through the test provider's own login page."""

import re

import pytest
from playwright.sync_api import expect

from tests.accounts.conftest import fedora, oidc_provider  # noqa: F401
from tests.accounts.provider import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def provider(fedora, live_server):  # noqa: F811
    """The test provider, knowing this server's redirect URI (and the test client's)."""
    fedora.register_client(
        "http://testserver/accounts/complete/fedora-oidc/",
        f"{live_server.url}/accounts/complete/fedora-oidc/",
    )
    return fedora


def sign_in_with_fedora(page, live_server, provider, nickname) -> bool:
    """Sign in from the home page; whether the provider asked for the password."""
    home = f"{live_server.url}/"
    page.goto(home)
    page.get_by_role("link", name="Sign in").click()
    page.get_by_role("button", name="Sign in with Fedora").click()
    # The provider's login page, unless its own session still knows the person (as FAS does).
    page.wait_for_url(lambda url: url.startswith(f"{provider.url}/login/") or url == home)
    asked = page.url != home
    if asked:
        expect(page.get_by_role("heading", name="Test Fedora Accounts")).to_be_visible()
        page.get_by_label("Username").fill(nickname)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(home)
    return asked


def test_a_fas_lead_signs_in_files_a_blocker_and_loses_the_role_with_the_group(
    page, browser, live_server, provider, initiative
):
    provider.set_user(
        sub=401, nickname="nimbinatus", email="n@fedoraproject.org", groups=["bootc-sig"]
    )

    assert sign_in_with_fedora(page, live_server, provider, "nimbinatus")

    who = page.get_by_role("link", name=re.compile("nimbinatus"))
    expect(who).to_have_text(re.compile(r"nimbinatus\s+lead"))
    page.get_by_role("link", name="File a blocker").first.click()
    page.get_by_label("Title").fill("Base image signatures are missing")
    page.get_by_role("button", name="File blocker").click()
    expect(page.get_by_text("filed. Thank you.")).to_be_visible()
    expect(page.locator("main")).to_contain_text("filed by nimbinatus")
    page.goto(f"{live_server.url}/subprojects/iot/")
    expect(page.get_by_text("Record the migration stage")).to_be_visible()

    # FAS drops the group; the person signs in again elsewhere (another browser).
    provider.set_user(
        sub=401, nickname="nimbinatus", email="n@fedoraproject.org", groups=["packager"]
    )
    other = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        assert sign_in_with_fedora(other.new_page(), live_server, provider, "nimbinatus")
        other_page = other.pages[0]
        expect(other_page.get_by_role("link", name=re.compile("nimbinatus"))).to_have_text(
            "nimbinatus"
        )
    finally:
        other.close()

    # The session already open in the first browser has lost the role at its next request.
    page.reload()
    expect(page.get_by_role("link", name=re.compile("nimbinatus"))).to_have_text("nimbinatus")
    expect(page.get_by_text("Record the migration stage")).to_have_count(0)
