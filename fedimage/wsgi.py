"""WSGI entry point (gunicorn fedimage.wsgi)."""

import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fedimage.settings")

application = get_wsgi_application()

# Refuse to start rather than answer 500 on every page (fedimage.dashboard.probes).
from fedimage.dashboard.probes import static_files_problem  # noqa: E402 - needs Django set up

if problem := static_files_problem():
    raise ImproperlyConfigured(f"fedimage cannot start: {problem}")
