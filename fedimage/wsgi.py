"""WSGI entry point (gunicorn fedimage.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fedimage.settings")

application = get_wsgi_application()
