# syntax=docker/dockerfile:1.7
#
# OP-CMS web image: the built Vue admin UI served by nginx, which also proxies the API
# (deploy/nginx/opcms.conf) to the `api` service.
#
#   docker build -f deploy/docker/frontend.Dockerfile -t opcms-web .   # from the repo root
#
# Build context: the repository root, narrowed by frontend.Dockerfile.dockerignore.

# --- build: npm ci + vite build -------------------------------------------------------------
# Debian-based node (glibc): the lock file's native bundler bindings are the -gnu ones, and
# package.json wants node >= 20.19.
FROM node:20-bookworm-slim AS build
WORKDIR /src/frontend

# Dependencies first, so a source-only change reuses this layer.
COPY frontend/package.json frontend/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund

COPY frontend/ ./
# `npm run build` type-checks (vue-tsc) and then bundles into dist/ (index.html + assets/).
RUN npm run build \
 && test -f dist/index.html

# --- runtime: nginx --------------------------------------------------------------------------
# 1.27.3 or later is required: the `api` upstream uses `server ... resolve` (re-resolves the
# service name when containers are recreated or scaled), open source only since 1.27.3.
FROM nginx:1.27.5-alpine

RUN rm -f /etc/nginx/conf.d/default.conf
COPY deploy/nginx/opcms.conf /etc/nginx/conf.d/opcms.conf
COPY --from=build /src/frontend/dist /usr/share/nginx/html

# 80: the public site (published by compose). 8081: internal only (/metrics for
# Prometheus); never publish it.
EXPOSE 80 8081

# Static files only, so the web container is healthy even while the API restarts.
HEALTHCHECK --interval=15s --timeout=5s --start-period=5s --retries=3 \
    CMD wget -q --spider http://127.0.0.1/ || exit 1
