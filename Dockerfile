# fedimage production image: gunicorn for the web, the same image for the Celery workers and beat.
# Built on Fedora's own minimal image, with Fedora's Python 3.11 (the version the pins are tested on).
FROM registry.fedoraproject.org/fedora-minimal:42

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/fedimage/venv/bin:$PATH \
    FEDIMAGE_VAR_DIR=/var/lib/fedimage STATIC_ROOT=/opt/fedimage/static \
    INITIATIVE_FILE=/etc/fedimage/initiative.toml

RUN microdnf install -y --nodocs --setopt=install_weak_deps=0 python3.11 shadow-utils \
    && microdnf clean all \
    && python3.11 -m venv /opt/fedimage/venv \
    && useradd --system --home-dir /var/lib/fedimage --create-home --shell /sbin/nologin fedimage \
    && install -d -o fedimage -g fedimage /etc/fedimage

WORKDIR /opt/fedimage/app
COPY pyproject.toml constraints.txt README.md ./
COPY fedimage ./fedimage
COPY trackers ./trackers
# The bus's message schemas: fedora-messaging loads them through pyproject's entry points.
COPY fedimage_messages ./fedimage_messages
RUN pip install --no-cache-dir -c constraints.txt .
COPY manage.py gunicorn.conf.py ./
COPY templates ./templates
COPY static ./static
# collectstatic reads settings, which insist on a secret: this one never leaves the build.
RUN SECRET_KEY=collectstatic-only-not-a-real-secret-key-0123456789abcdef \
    python manage.py collectstatic --noinput

# The initiative file is not in the image: mount it at $INITIATIVE_FILE (docker-compose does).
USER fedimage
EXPOSE 8000
CMD ["gunicorn", "fedimage.wsgi", "--config", "gunicorn.conf.py"]
