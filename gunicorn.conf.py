"""gunicorn settings of the production image: `gunicorn fedimage.wsgi --config gunicorn.conf.py`."""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
timeout = 60
accesslog = "-"
