"""The embedded default (`make run`, nothing configured) signs people in with Django's accounts."""

import subprocess
import sys

from tests.test_deployment import ROOT, clean_env, manage

SIGN_IN = """
from django.test import Client

browser = Client(HTTP_HOST="localhost")
page = browser.get("/accounts/login/").content.decode()
assert 'name="password"' in page, page
assert "Sign in with Fedora" not in page
assert browser.post("/accounts/login/fedora-oidc/").status_code == 404
wrong = browser.post("/accounts/login/", {"username": "nimbinatus", "password": "wrong"})
assert wrong.status_code == 200, wrong.status_code
signed_in = browser.post(
    "/accounts/login/", {"username": "nimbinatus", "password": "a-long-lead-passphrase-42"}
)
assert signed_in.status_code == 302, signed_in.status_code
profile = browser.get("/accounts/profile/").content.decode()
assert "A local fedimage account." in profile
assert "Lead:" in profile
print("signed in")
"""


def manage_with_input(stdin: str, *args: str, env: dict[str, str]):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_with_nothing_configured_django_sign_in_works_and_fedora_is_not_offered(tmp_path):
    env = {
        k: v
        for k, v in clean_env(FEDIMAGE_VAR_DIR=str(tmp_path), DEBUG="1").items()
        if not k.startswith("FEDORA_")
    }
    assert "FEDORA_OIDC_CLIENT_ID" not in env
    migrated = manage("migrate", "--noinput", env=env, timeout=300)
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    lead = manage_with_input("a-long-lead-passphrase-42\n", "createlead", "nimbinatus", env=env)
    assert lead.returncode == 0, lead.stderr[-3000:]

    result = manage("shell", "-c", SIGN_IN, env=env)

    assert result.returncode == 0, result.stderr[-3000:]
    assert "signed in" in result.stdout
    assert (tmp_path / "fedimage.sqlite3").exists()
