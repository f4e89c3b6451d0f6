"""Request ids, Prometheus metrics, and the health endpoints (``/healthz``, ``/readyz``,
``/metrics``)."""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import os
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from pydantic import BaseModel
from sanic import Blueprint, Request, Sanic
from sanic.response import BaseHTTPResponse, HTTPResponse, json, raw
from sanic_ext.extensions.openapi import openapi

from opcms.core.context import ANONYMOUS, current_actor, current_client_ip, current_request_id
from opcms.core.db import ping_db
from opcms.core.errors import Forbidden, Unauthorized
from opcms.core.http import endpoint, schema_ref
from opcms.core.i18n import current_language, negotiate, use_language
from opcms.core.storage import get_store

log = logging.getLogger("opcms.observability")

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
    checks: dict[str, str]  # "database", "broker", "storage": "ok" or "error: <kind>"


@health.get("/healthz")
@endpoint(public=True, tag="operations", response=Liveness)
async def healthz(request: Request) -> HTTPResponse:
    """The process is up."""
    return json({"status": "ok"})


@health.get("/readyz")
@openapi.response(503, {"application/json": schema_ref(Readiness)}, "Something it needs does not answer")
@endpoint(public=True, tag="operations", response=Readiness)
async def readyz(request: Request) -> HTTPResponse:
    """The database, the Celery broker and the file store answer."""
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
    try:
        await asyncio.wait_for(get_store().check(), timeout=5)
        checks["storage"] = "ok"
    except Exception as error:
        checks["storage"] = f"error: {type(error).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return json({"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503)


def _ping_broker() -> None:
    from opcms.core.celery_app import celery_app

    with celery_app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=3)


# The business figures (jobs, usage, invoices, notifications, money, logins) are read from the
# database, not counted in memory: a worker on another host, a restarted API process and the
# process a scraper happens to reach all agree, and nothing is lost when a process dies. Each
# domain registers its reader (opcms.wiring); this module knows none of them.
BusinessMetricsReader = Callable[[], Awaitable[Iterable[Metric]]]
_business_readers: list[BusinessMetricsReader] = []


def register_business_metrics(*readers: BusinessMetricsReader) -> None:
    for reader in readers:
        if reader not in _business_readers:
            _business_readers.append(reader)


class _BusinessFigures:
    """The families the readers last returned, reused for ``max_age`` seconds."""

    families: list[Metric] = []
    read_at: float | None = None


class _BusinessCollector:
    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return self._families


def _figures_read(ok: bool) -> Metric:
    up = GaugeMetricFamily(
        "opcms_business_metrics_up", "1 when the business figures below were read from the database, else 0"
    )
    up.add_metric([], 1 if ok else 0)
    return up


async def business_metric_families(max_age: float) -> list[Metric]:
    """The readers' families, read again once ``max_age`` seconds have passed. When the database
    cannot be read (an outage) the scrape still answers, with the HTTP figures and
    ``opcms_business_metrics_up 0``: an outage is when the HTTP figures matter most."""
    now = time.monotonic()
    if _BusinessFigures.read_at is not None and now - _BusinessFigures.read_at < max_age:
        return _BusinessFigures.families
    families: list[Metric] = []
    try:
        for reader in _business_readers:  # one after the other: a scrape holds one connection
            families.extend(await reader())
    except Exception as error:  # a failed read is reported as a figure, never as a failed scrape
        log.warning("business metrics not read: %s: %s", type(error).__name__, error)
        return [_figures_read(False)]
    families.append(_figures_read(True))
    _BusinessFigures.families, _BusinessFigures.read_at = families, time.monotonic()
    return families


def _may_read_metrics(request: Request) -> None:
    settings = request.app.ctx.settings
    if settings.metrics_token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.encode(), settings.metrics_token.encode()
        ):
            raise Unauthorized()
        return
    if settings.env == "production":
        # the socket's own peer, never a forwarded header: behind nginx every request is refused
        peer = request.conn_info.client_ip if request.conn_info else ""
        forwarded = any(name in request.headers for name in ("x-forwarded-for", "x-real-ip", "forwarded"))
        if forwarded or not peer or not ipaddress.ip_address(peer).is_loopback:
            raise Forbidden()


@health.get("/metrics")
# 401: OPCMS_METRICS_TOKEN is set and the request does not carry it; 403: in production without
# a token, a request that is not from this host
@endpoint(public=True, tag="operations", produces="text/plain", errors=(401, 403))
async def metrics(request: Request) -> HTTPResponse:
    """Prometheus metrics: HTTP requests of this process, and the business figures (named
    ``opcms_…``) read from the database."""
    _may_read_metrics(request)
    registry = _metrics_registry()
    payload = generate_latest(registry) if registry else generate_latest()
    business = CollectorRegistry(auto_describe=False)
    families = await business_metric_families(request.app.ctx.settings.metrics_cache_seconds)
    business.register(_BusinessCollector(families))
    return raw(payload + generate_latest(business), content_type=CONTENT_TYPE_LATEST)
