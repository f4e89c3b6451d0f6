# syntax=docker/dockerfile:1.7
#
# OP-CMS backend image: one image for every backend process of the production shape
# (`opcms api`, `opcms worker`, `opcms beat`, `opcms migrate`, `opcms createuser`).
#
#   docker build -f deploy/docker/backend.Dockerfile -t opcms-backend .   # from the repo root
#
# The build context is the repository root; backend.Dockerfile.dockerignore (beside this
# file) keeps the frontend, virtualenvs and local state out of it.

ARG PYTHON_IMAGE=python:3.11-slim

# --- build: a virtualenv with the backend installed (non-editable) ------------------------------
FROM ${PYTHON_IMAGE} AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

# Same path as on bare hosts (deploy/systemd), so paths in logs and docs match.
RUN python -m venv /opt/opcms/.venv
ENV PATH=/opt/opcms/.venv/bin:$PATH

COPY backend/ /src/backend/
# Every dependency has a binary wheel for CPython 3.11 on amd64 and arm64, so no compiler is
# needed. The pip cache mount only speeds up rebuilds; it never ends up in the image.
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install /src/backend \
 && opcms --help >/dev/null

# --- runtime -----------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

# tzdata: zoneinfo needs the system time-zone database for Asia/Shanghai (OPCMS_TIMEZONE is
# validated at start-up), and recent Debian slim images no longer ship it.
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends tzdata \
 && rm -rf /var/lib/apt/lists/*

# Fixed numeric ids: volumes keep their ownership across rebuilds, and orchestrators that
# insist on `runAsNonRoot` can check them.
RUN groupadd --system --gid 10001 opcms \
 && useradd --system --uid 10001 --gid opcms --home-dir /var/lib/opcms --no-create-home \
        --shell /usr/sbin/nologin opcms \
 && install -d -o opcms -g opcms -m 0750 /var/lib/opcms

COPY --from=build /opt/opcms/.venv /opt/opcms/.venv

# OPCMS_HOST 0.0.0.0: the API must be reachable from the nginx container; nothing publishes
# port 8000 outside the compose network.
# OPCMS_VAR_DIR: created above and owned by the app user; compose mounts a named volume here
# (a fresh named volume takes this ownership).
# OPCMS_FRONTEND_DIST: this image does not ship the UI (the `web` image does, served by
# nginx); the path is deliberately empty, so the API answers `/` with a JSON 404.
ENV PATH=/opt/opcms/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    OPCMS_ENV=production \
    OPCMS_HOST=0.0.0.0 \
    OPCMS_PORT=8000 \
    OPCMS_VAR_DIR=/var/lib/opcms \
    OPCMS_FRONTEND_DIST=/opt/opcms/frontend-dist

# The working directory holds no `.env`: settings come from the container environment only.
WORKDIR /var/lib/opcms
USER 10001:10001
EXPOSE 8000

# Liveness of `opcms api` (the default command). The slim image has no curl, so Python does
# the request; urlopen raises on anything but 2xx. docker-compose.yml replaces this check for
# the worker and disables it for beat and migrate, which serve no HTTP.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('OPCMS_PORT', '8000'), timeout=4)"]

CMD ["opcms", "api"]
