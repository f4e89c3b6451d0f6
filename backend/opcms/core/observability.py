"""Request ids, Prometheus metrics, and the health endpoints (``/healthz``, ``/readyz``,
``/metrics``)."""

from __future__ import annotations

import asyncio
import os
import re
import time
import uuid
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from pydantic import BaseModel
from sanic import Blueprint, Request, Sanic
from sanic.response import BaseHTTPResponse, HTTPResponse, json, raw
from sanic_ext.extensions.openapi import openapi

from opcms.core.context import ANONYMOUS, current_actor, current_client_ip, current_request_id
from opcms.core.db import ping_db
from opcms.core.http import endpoint, schema_ref
from opcms.core.i18n import current_language, negotiate, use_language

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

REQUESTS = Counter(
    "opcms_http_requests_total", "HTTP requests by route, method and status", ["route", "method", "status"]
)
LATENCY = Histogram(
    "opcms_http_request_duration_seconds",
    "HTTP request latency by route and method",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def client_ip(request: Request) -> str | None:
    # X-Forwarded-For counts only with OPCMS_PROXIES_COUNT > 0 (Sanic's PROXIES_COUNT)
    return request.client_ip or None


async def start_request(request: Request) -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    request.ctx.request_id = request_id
    request.ctx.started = time.perf_counter()
    current_request_id.set(request_id)
    current_client_ip.set(client_ip(request))
    current_actor.set(ANONYMOUS)
    # the language of every message this request answers with (core.i18n)
    use_language(negotiate(request.headers.get("accept-language")))


async def finish_request(request: Request, response: BaseHTTPResponse) -> None:
    request_id = getattr(request.ctx, "request_id", None)
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    response.headers.setdefault("Content-Language", current_language())
    started = getattr(request.ctx, "started", None)
    # label by route pattern, not by raw path, so ids don't explode the series
    route = request.route.path if request.route else "unmatched"
    REQUESTS.labels(route, request.method, str(response.status)).inc()
    if started is not None:
        LATENCY.labels(route, request.method).observe(time.perf_counter() - started)


def install_request_tracking(app: Sanic[Any, Any]) -> None:
    app.register_middleware(start_request, "request", priority=100)
    app.register_middleware(finish_request, "response", priority=100)


def _metrics_registry() -> CollectorRegistry | None:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return None
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # prometheus_client leaves it unannotated
    return registry


health = Blueprint("health")


class Liveness(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str  # "ok", or "unavailable" with a 503
    checks: dict[str, str]  # "database", "broker": "ok" or "error: <kind>"


@health.get("/healthz")
@endpoint(public=True, tag="operations", response=Liveness)
async def healthz(request: Request) -> HTTPResponse:
    """The process is up."""
    return json({"status": "ok"})


@health.get("/readyz")
@openapi.response(503, {"application/json": schema_ref(Readiness)}, "Something it needs does not answer")
@endpoint(public=True, tag="operations", response=Readiness)
async def readyz(request: Request) -> HTTPResponse:
    """The database and the Celery broker answer."""
    checks: dict[str, str] = {}
    try:
        await asyncio.wait_for(ping_db(), timeout=3)
        checks["database"] = "ok"
    except Exception as error:  # readiness reports any failure, it never raises
        checks["database"] = f"error: {type(error).__name__}"
    try:
        await asyncio.wait_for(asyncio.to_thread(_ping_broker), timeout=5)
        checks["broker"] = "ok"
    except Exception as error:
        checks["broker"] = f"error: {type(error).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return json({"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503)


def _ping_broker() -> None:
    from opcms.core.celery_app import celery_app

    with celery_app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=3)


@health.get("/metrics")
@endpoint(public=True, tag="operations", produces="text/plain")
async def metrics(request: Request) -> HTTPResponse:
    """Prometheus metrics."""
    registry = _metrics_registry()
    payload = generate_latest(registry) if registry else generate_latest()
    return raw(payload, content_type=CONTENT_TYPE_LATEST)
