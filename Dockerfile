# syntax=docker/dockerfile:1
# Production image: one image for web (gunicorn), worker and beat (Celery), the
# one-shot migrate job and the demo simulator; docker-compose.yml picks the command.

# --- Stage 1: build wheels for every pinned requirement -------------------------------
FROM python:3.11-slim AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /build
COPY requirements.txt .
RUN pip wheel --wheel-dir /wheels -r requirements.txt

# --- Stage 2: the runtime, without compilers or pip caches ----------------------------
FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=dashboard.settings \
    STATIC_MANIFEST=true \
    VAR_DIR=/app/var

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

# Bind-mounted from the builder, so the wheels never become a layer of this image.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    --mount=type=bind,source=requirements.txt,target=/tmp/requirements.txt \
    pip install --no-index --find-links=/wheels -r /tmp/requirements.txt

WORKDIR /app
# The code stays owned by root: the app user can read it but not change it.
COPY . .

# Hashed, compressed static files at build time, so whitenoise serves them from the
# image. The settings need a SECRET_KEY to load; this one exists only for this step.
RUN SECRET_KEY=collectstatic-at-build-time-only-never-used-to-sign-anything DEBUG=false \
        python manage.py collectstatic --noinput -v 0 \
    && mkdir -p /app/var \
    && chown app:app /app/var

USER app:app
EXPOSE 8000

CMD ["gunicorn", "dashboard.wsgi", "--config", "python:dashboard.gunicorn_conf", "--bind", "0.0.0.0:8000", "--threads", "4", "--no-control-socket"]
