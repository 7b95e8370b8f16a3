"""The browsable API under the Content Security Policy: no violation, no console error."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_browsable_api_renders_without_breaking_the_csp(page, live_server, initiative):
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security" in msg.text else None,
    )
    for path in ("/api/", "/api/milestones/", "/api/blockers/?page=1"):
        response = page.goto(f"{live_server.url}{path}", wait_until="load")
        assert response is not None
        assert response.status == 200
        assert "text/html" in response.headers["content-type"]
        assert "'unsafe-inline'" not in response.headers["content-security-policy"]
        # Bootstrap's stylesheet applied: the navbar is styled, not a bare list.
        assert page.locator(".navbar").evaluate("e => getComputedStyle(e).position") != "static"
    assert violations == []
    # The page fixture also fails the test on any console error.
