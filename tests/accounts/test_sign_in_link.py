"""The header's "Sign in" link comes back to the page it was followed from, never nested."""

import re

import pytest

pytestmark = pytest.mark.django_db


def sign_in_links(html: str) -> list[str]:
    return re.findall(r'<a class="button" href="([^"]*)"[^>]*>Sign in</a>', html)


def test_sign_in_link_on_the_sign_in_page_keeps_its_next_instead_of_nesting(client):
    assert sign_in_links(client.get("/blockers/?q=x").content.decode()) == [
        "/accounts/login/?next=/blockers/%3Fq%3Dx"
    ]
    url = "/accounts/login/?next=/blockers/%3Fq%3Dx"
    for _ in range(3):  # following it again and again leads to the same page
        (link,) = sign_in_links(client.get(url).content.decode().replace("&amp;", "&"))
        assert link == url
        url = link
