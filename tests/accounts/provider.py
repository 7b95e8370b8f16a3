"""Run the test OpenID Connect provider (tests/accounts/oidc_provider) as a real server."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "fedimage-tests"
CLIENT_SECRET = "client-secret-" + "c" * 30
PASSWORD = "fas-password-123"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OidcProvider:
    """A django-oauth-toolkit provider in its own process, with its own SQLite database."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.secret = secrets.token_hex(16)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.issuer = f"{self.url}/o"
        self.process: subprocess.Popen | None = None

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
        env.update(
            DJANGO_SETTINGS_MODULE="tests.accounts.oidc_provider.settings",
            OIDC_PROVIDER_DB=str(self.workdir / "provider.sqlite3"),
            OIDC_PROVIDER_KEY_FILE=str(self.workdir / "signing-key.pem"),
            OIDC_PROVIDER_CONTROL_SECRET=self.secret,
            PYTHONPATH=str(ROOT),
        )
        return env

    def start(self) -> None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        (self.workdir / "signing-key.pem").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        env = self._env()
        subprocess.run(
            [sys.executable, "-m", "django", "migrate", "--noinput", "-v", "0"],
            env=env,
            cwd=ROOT,
            check=True,
        )
        self.log = (self.workdir / "provider.log").open("wb")
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--threads",
                "4",
                "tests.accounts.oidc_provider.wsgi:application",
            ],
            env=env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the OIDC provider exited: {self.logs()}")
            try:
                if httpx.get(f"{self.issuer}/.well-known/openid-configuration").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the OIDC provider did not start: {self.logs()}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.log.close()

    def logs(self) -> str:
        return (self.workdir / "provider.log").read_text(errors="replace")[-3000:]

    def _control(self, what: str, payload: dict) -> httpx.Response:
        response = httpx.post(
            f"{self.url}/control/{what}", json=payload, headers={"X-Control-Secret": self.secret}
        )
        response.raise_for_status()
        return response

    def register_client(self, *redirect_uris: str) -> None:
        self._control(
            "client",
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": list(redirect_uris),
            },
        )

    def set_user(self, *, sub: int, nickname: str, email: str, groups: list[str]) -> str:
        payload = {"sub": sub, "nickname": nickname, "email": email, "groups": groups}
        return self._control("user", {**payload, "password": PASSWORD}).json()["sub"]

    def set_mode(self, mode: str) -> None:
        self._control("mode", {"mode": mode})

    def authorize(self, authorize_url: str, username: str, password: str = PASSWORD) -> str:
        """Play the browser at the provider: log in, and return where it sends us back."""
        with httpx.Client() as browser:
            url = authorize_url
            for _ in range(10):
                response = browser.get(url)
                if response.status_code == 200 and 'name="password"' in response.text:
                    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text)
                    next_url = re.search(r'name="next" value="([^"]*)"', response.text)
                    assert token is not None
                    assert next_url is not None
                    response = browser.post(
                        url,
                        data={
                            "csrfmiddlewaretoken": token.group(1),
                            "username": username,
                            "password": password,
                            "next": next_url.group(1).replace("&amp;", "&"),
                        },
                    )
                assert response.status_code == 302, (response.status_code, response.text[:500])
                url = urljoin(str(response.url), response.headers["location"])
                if not url.startswith(self.url):
                    return url
        raise AssertionError("the provider never redirected back")


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path
