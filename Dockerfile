# fedimage production image: gunicorn for the web, the same image for the Celery worker and beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FEDIMAGE_VAR_DIR=/var/lib/fedimage STATIC_ROOT=/srv/fedimage/static

WORKDIR /srv/fedimage
COPY pyproject.toml constraints.txt README.md ./
COPY fedimage ./fedimage
COPY trackers ./trackers
RUN pip install --no-cache-dir -c constraints.txt . \
    && useradd --system --home-dir /var/lib/fedimage --create-home fedimage
COPY manage.py initiative.toml ./
COPY templates ./templates
COPY static ./static
# collectstatic reads settings, which insist on a secret: this one never leaves the build.
RUN SECRET_KEY=collectstatic-only-not-a-real-secret-key-0123456789abcdef python manage.py collectstatic --noinput

USER fedimage
EXPOSE 8000
CMD ["gunicorn", "fedimage.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
