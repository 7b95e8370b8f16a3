import re

import pytest
from playwright.sync_api import expect

from fedimage.initiative.models import Blocker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, username, password):
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_stakeholder_files_a_blocker_and_finds_it_on_the_milestone_page(
    page, live_server, initiative, member
):
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Fedora Image Mode initiative")
    expect(
        page.get_by_role("heading", name="Migration onto the shared base images")
    ).to_be_visible()

    sign_in(page, live_server, "stakeholder", "pw-member-123")
    expect(page.get_by_text("stakeholder", exact=True)).to_be_visible()
    page.get_by_role("link", name="File a blocker").first.click()

    # A bad submission first: the form says what is wrong and files nothing.
    page.get_by_label("Title").fill("x")
    page.get_by_role("button", name="File blocker").click()
    expect(page.get_by_text("Say what is blocked in at least 5 characters.")).to_be_visible()
    assert Blocker.objects.count() == 0

    page.get_by_label("Title").fill("Official base images are not signed")
    page.get_by_label("Severity").select_option("critical")
    page.get_by_label("Category").select_option("infrastructure")
    page.get_by_label("Description").fill("Pick a **signing** scheme with infrastructure.")
    page.get_by_label("Fedora 45: Production (rolling) base images").check()
    page.get_by_role("button", name="File blocker").click()

    expect(page).to_have_url(re.compile(r"/blockers/\d+/$"))
    expect(page.get_by_text("filed. Thank you.")).to_be_visible()
    expect(page.locator(".prose strong")).to_have_text("signing")

    page.get_by_role("link", name="Production (rolling) base images").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Production (rolling) base images")
    blockers = page.locator("section", has=page.get_by_role("heading", name="Blockers"))
    expect(
        blockers.get_by_role("link", name=re.compile("Official base images are not signed"))
    ).to_be_visible()
    history = page.locator("section", has=page.get_by_role("heading", name="History"))
    expect(history).to_contain_text("stakeholder filed")
    expect(
        history.get_by_role("link", name=re.compile("Official base images are not signed"))
    ).to_be_visible()


def test_blocker_filters_update_the_table_in_place(page, live_server, initiative, member):
    from fedimage.initiative.services import blocker_file

    blocker_file(reporter=member, title="Konflux release race", category="konflux")
    blocker_file(reporter=member, title="Docs gap for bootc switch", category="documentation")
    page.goto(f"{live_server.url}/blockers/")
    expect(page.get_by_text("2 blockers match.")).to_be_visible()
    page.get_by_label("Search").fill("konflux")
    expect(page.get_by_text("1 blocker match.")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Docs gap"))).to_have_count(0)
    expect(page).to_have_url(re.compile(r"q=konflux"))
