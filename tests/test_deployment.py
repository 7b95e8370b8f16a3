"""The project as its operators meet it: settings, the run command, the compose file."""

import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# Variables a developer's shell may carry that would change what these subprocesses see.
SCRUB = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "DJANGO_SETTINGS_MODULE",
    "SECURE_SSL_REDIRECT",
    "FEDIMAGE_VAR_DIR",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUB}
    env.update(extra)
    return env


def manage(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def production_env(**extra: str) -> dict[str, str]:
    values = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "fedimage.example.org",
        "CSRF_TRUSTED_ORIGINS": "https://fedimage.example.org",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/fedimage",
        "REDIS_URL": "redis://127.0.0.1:6379/15",
    }
    return clean_env(**(values | extra))


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = manage("check", env=clean_env(DATABASE_URL="postgres://postgres@127.0.0.1:5432/x"))
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_settings_refuse_the_development_key():
    key = "django-insecure-fedimage-development-only-never-in-production"
    result = manage("check", env=production_env(SECRET_KEY=key))
    assert result.returncode != 0
    assert "must not be used with DEBUG off" in result.stderr


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("short", "5 characters, 5 different"),
        ("ab" * 40, "80 characters, 2 different"),
    ],
)
def test_production_settings_refuse_a_weak_secret_key_and_say_how_to_make_one(key, why):
    result = manage("check", env=production_env(SECRET_KEY=key))
    assert result.returncode != 0
    assert f"SECRET_KEY is too weak ({why}" in result.stderr
    assert "secrets.token_urlsafe(50)" in result.stderr
    # A development server (DEBUG on) may keep a short key.
    assert manage("check", env=production_env(SECRET_KEY=key, DEBUG="1")).returncode == 0


def test_deploy_check_is_clean_under_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_migrations_are_in_step_with_the_models():
    result = manage("makemigrations", "--check", "--dry-run", env=clean_env(DEBUG="1"))
    assert result.returncode == 0, result.stdout + result.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float) -> bytes:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def row_count(database: Path, table: str) -> int:
    with sqlite3.connect(database) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608


def sync_run_count(database: Path) -> int:
    with sqlite3.connect(database) as conn:
        return conn.execute("SELECT COUNT(*) FROM trackers_syncrun").fetchone()[0]


def test_run_command_brings_up_web_worker_and_beat_on_embedded_defaults(tmp_path):
    """`make run` with nothing configured: SQLite, a filesystem broker, the initiative loaded.

    The beat sends a sync of the tracker sources at start-up; the worker recording its run in
    SQLite (whatever the trackers answer) proves that web, broker, worker and beat all run. One
    SIGINT stops all three.
    """
    if not shutil.which("make"):
        pytest.fail("make is required (apt-get install make)")
    port = free_port()
    var = tmp_path / "var"
    env = clean_env(FEDIMAGE_VAR_DIR=str(var))
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "run", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        ready = wait_for(f"http://127.0.0.1:{port}/readyz", timeout=90)
        assert b'"broker": "ok"' in ready
        page = wait_for(f"http://127.0.0.1:{port}/", timeout=10).decode()
        assert "Fedora Image Mode initiative" in page
        assert "A clean development pipeline" in page
        # Within a minute (the intervals are 5 and 10 minutes: these ran at start-up), a first
        # sync and a first poll were attempted; offline, each is an outcome recorded in the
        # database ("unreachable"), not a traceback.
        deadline = time.monotonic() + 60
        database = var / "fedimage.sqlite3"
        while sync_run_count(database) == 0 or row_count(database, "health_sample") == 0:
            assert proc.poll() is None, proc.stdout.read()
            assert time.monotonic() < deadline, "no sync or poll in the first minute"
            time.sleep(1)
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            output, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            output, _ = proc.communicate()
            pytest.fail("one Ctrl-C did not stop the run command:\n" + output[-3000:])
    assert "Traceback" not in output, output[-6000:]
    leftovers = subprocess.run(
        ["pgrep", "-s", str(proc.pid)], capture_output=True, text=True
    ).stdout
    assert leftovers.strip() == "", f"processes left running: {leftovers}"
    assert (var / "fedimage.sqlite3").exists()


def test_compose_file_is_valid():
    result = subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        env=clean_env(SECRET_KEY="x" * 50),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_compose_file_refuses_to_start_without_a_secret_key():
    result = subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "set SECRET_KEY" in result.stderr


def settings_of(env: dict[str, str], *names: str) -> list[str]:
    code = f"from django.conf import settings; print(*(getattr(settings, n) for n in {names!r}))"
    result = manage("shell", "--verbosity", "0", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


HTTPS_SETTINGS = ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE")


def test_https_is_forced_by_default_in_production_and_off_with_https_only_0():
    """Behind a TLS proxy (the default) plain HTTP is redirected and cookies are secure; the
    local docker-compose (HTTPS_ONLY=0) serves plain HTTP."""
    assert settings_of(production_env(), *HTTPS_SETTINGS, "SECURE_HSTS_SECONDS") == [
        "True", "True", "True", "31536000",
    ]  # fmt: skip
    assert settings_of(production_env(HTTPS_ONLY="0"), *HTTPS_SETTINGS, "SECURE_HSTS_SECONDS") == [
        "False", "False", "False", "0",
    ]  # fmt: skip


def compose_config(**env: str) -> dict:
    result = subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config"],
        env=clean_env(SECRET_KEY="x" * 50, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    import yaml  # PyYAML comes with the dependencies

    return yaml.safe_load(result.stdout)


def test_compose_serves_plain_http_mounts_the_initiative_file_and_runs_a_worker_per_queue():
    services = compose_config()["services"]
    web = services["web"]
    assert web["environment"]["HTTPS_ONLY"] == "0"
    assert any("/etc/fedimage/initiative.toml" in str(v) for v in web["volumes"])
    queues = {
        name: service["command"][service["command"].index("--queues") + 1]
        for name, service in services.items()
        if name.startswith("worker")
    }
    assert sorted(queues.values()) == ["bus", "default", "health", "notifications", "trackers"]
    assert "--appendonly" in services["redis"]["command"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    copied = [line for line in dockerfile.splitlines() if line.startswith("COPY")]
    assert not any("initiative.toml" in line for line in copied)
    assert "\nFROM registry.fedoraproject.org/fedora-minimal:" in dockerfile


def test_the_image_copies_every_package_the_install_and_its_entry_points_name():
    """`pip install .` in the image finds only what was copied: fedimage_messages too."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wanted = {
        name.rstrip("*") for name in project["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    for group in project["project"]["entry-points"].values():
        wanted |= {target.split(".")[0].split(":")[0] for target in group.values()}
    dockerfile = (ROOT / "Dockerfile").read_text()
    copied = {line.split()[1] for line in dockerfile.splitlines() if line.startswith("COPY ")}
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")} - {"tests"}
    missing = {p for p in packages if any(p.startswith(w) for w in wanted)} - copied
    assert not missing, f"the Dockerfile does not COPY {sorted(missing)}"


def test_the_web_server_refuses_to_start_without_collected_static_files(tmp_path):
    """Not 500 on every page: the WSGI application fails to load, saying what to run."""
    result = subprocess.run(
        [PYTHON, "-c", "import fedimage.wsgi"],
        cwd=ROOT,
        env=production_env(STATIC_ROOT=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "fedimage cannot start: static files are not collected" in result.stderr
    assert "collectstatic --noinput" in result.stderr


# The embedded default (`make run`, nothing configured) signs people in with Django's accounts.

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
