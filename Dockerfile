# Production image: one image for web (gunicorn), worker and beat (Celery), the
# one-shot migrate job and the demo simulator; docker-compose.yml picks the command.
# Needs BuildKit (the default builder of Docker 23+, or DOCKER_BUILDKIT=1) for RUN --mount.

# The base is pinned by version and by digest: a tag can be pushed again, a digest
# cannot. To move to a newer patch release, take the digest that
# `docker buildx imagetools inspect python:3.11.X-slim-bookworm` prints, and change both FROM lines.

# --- Stage 1: install every locked requirement, each file checked against its hash -----
FROM python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# requirements.lock lists every package, transitive ones included, with its hashes
# (`make lock` writes it); --require-hashes refuses anything else.
RUN --mount=type=bind,source=requirements.lock,target=/tmp/requirements.lock \
    python -m venv /opt/venv \
    && /opt/venv/bin/pip install --require-hashes -r /tmp/requirements.lock

# --- Stage 2: the runtime, without build tools or pip caches ---------------------------
FROM python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=dashboard.settings \
    STATIC_MANIFEST=true \
    VAR_DIR=/app/var

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home --shell /usr/sbin/nologin app

# The same interpreter path in both stages, so the virtualenv works as copied.
COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
# The code stays owned by root: the app user can read it but not change it.
COPY . .

# Hashed, compressed static files at build time, so whitenoise serves them from the
# image. The settings need a SECRET_KEY to load; this one exists only for this step.
RUN SECRET_KEY=collectstatic-at-build-time-only-never-used-to-sign-anything DEBUG=false \
        python manage.py collectstatic --noinput -v 0 \
    && mkdir -p /app/var \
    && chown 10001:10001 /app/var

# Numeric, so that Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
EXPOSE 8000

# The web server's check (the default command); compose gives worker and beat their own.
HEALTHCHECK --interval=15s --timeout=10s --start-period=20s --retries=3 \
    CMD ["python", "-m", "dashboard.health", "web", "--port", "8000"]

# Refuses to start without DATABASE_URL (unless ALLOW_SQLITE=true), then runs the command.
ENTRYPOINT ["python", "/app/ops/entrypoint.py"]
CMD ["gunicorn", "dashboard.wsgi", "--config", "python:dashboard.gunicorn_conf", "--bind", "0.0.0.0:8000", "--threads", "4", "--no-control-socket"]
