"""The Sanic app factory: every process (``opcms api``, tests) builds its app here."""

from __future__ import annotations

import gc
import json
from functools import partial
from pathlib import Path

from sanic import Request, Sanic
from sanic.response import HTTPResponse, file
from sanic_ext import Extend
from sanic_ext.extensions.openapi import openapi

from opcms import __version__
from opcms.alerts.api import bp as alerts_bp
from opcms.analytics.api import bp as analytics_bp
from opcms.audit.api import bp as audit_bp
from opcms.auth.api import bp as auth_bp
from opcms.auth.middleware import jwt_middleware
from opcms.billing.api import bp as billing_bp
from opcms.billing.reports.api import bp as billing_reports_bp
from opcms.core.connection_shares import install_connection_shares
from opcms.core.db import close_db, init_db
from opcms.core.errors import NotFound
from opcms.core.http import JSONErrorHandler, endpoint
from opcms.core.limits import install_body_limits
from opcms.core.logging import logging_config
from opcms.core.observability import health, install_request_tracking
from opcms.core.openapi import install_doc_parts, install_error_documentation, swagger_parts_configuration
from opcms.core.security_headers import install_security_headers
from opcms.core.settings import Settings, get_settings
from opcms.customers.api import bp as customers_bp
from opcms.deleted.api import bp as deleted_bp
from opcms.imports.api import bp as imports_bp
from opcms.imports.api import upload_customers
from opcms.jobs.api import bp as jobs_bp
from opcms.notifications.api import bp as notifications_bp
from opcms.payments.api import bp as payments_bp
from opcms.pricing.api import bp as pricing_bp
from opcms.statements.api import bp as statements_bp
from opcms.statements.api import preview_statement, upload_statement
from opcms.usage.api import bp as usage_bp
from opcms.usage.sources.api import bp as data_sources_bp
from opcms.usage.sources.api import upload_usage_file
from opcms.wiring import wire

BLUEPRINTS = (
    auth_bp,
    audit_bp,
    customers_bp,
    imports_bp,
    pricing_bp,
    usage_bp,
    data_sources_bp,
    billing_bp,
    billing_reports_bp,
    payments_bp,
    statements_bp,
    jobs_bp,
    notifications_bp,
    alerts_bp,
    analytics_bp,
    deleted_bp,
    health,
)

# the routes that take a file (multipart, up to OPCMS_IMPORT_MAX_BYTES); every other route takes
# JSON bodies of a few KB (the session routes) or OPCMS_JSON_BODY_MAX_BYTES (core/limits.py)
UPLOAD_ROUTES = (upload_customers, upload_usage_file, upload_statement, preview_statement)


def create_app(settings: Settings | None = None, *, name: str = "opcms", manage_db: bool = True) -> Sanic:
    """Build the app. ``manage_db=False`` leaves opening the database to the caller (tests)."""
    settings = settings or get_settings()
    # the callbacks, lookups, jobs and channel kinds the routes rely on
    wire()
    app = Sanic(
        name,
        log_config=logging_config(settings.log_level, settings.log_format),
        error_handler=JSONErrorHandler(),
        dumps=partial(json.dumps, ensure_ascii=False, separators=(",", ":")),
    )
    app.config.update(
        OAS_UI_DEFAULT="swagger",
        OAS_URL_PREFIX="/docs",
        OAS_UI_REDOC=False,
        OAS_AUTODOC=False,
        # Swagger UI from the built frontend, not a CDN: /docs works on a closed intranet
        OAS_UI_SWAGGER_CDN_URL="",
        OAS_UI_SWAGGER_VERSION="docs-assets",
        # no badge from validator.swagger.io: it would send the spec's URL to a third party, and
        # the docs page's CSP refuses images from another origin. Operations listed closed: fully
        # expanded, 120 operations with their error answers took a minute to render
        SWAGGER_UI_CONFIGURATION={
            "apisSorter": "alpha",
            "operationsSorter": "alpha",
            "docExpansion": "list",
            "validatorUrl": None,
            # the document drawn in parts: Swagger UI stops drawing one this large (core.openapi)
            **swagger_parts_configuration(),
        },
        FALLBACK_ERROR_FORMAT="json",
        CORS=False,
        HEALTH=False,
        MOTD=settings.env != "test",
        PROXIES_COUNT=settings.proxies_count,
        REAL_IP_HEADER=None,
    )
    app.ctx.settings = settings
    Extend(app)
    app.ext.openapi.describe(
        "OP-CMS API", version=__version__, description="Customer operations and settlement"
    )
    app.ext.openapi.add_security_scheme("bearerAuth", "http", scheme="bearer", bearer_format="JWT")

    install_request_tracking(app)
    # bodies are capped per route before they are read (also sets REQUEST_MAX_SIZE, the largest cap)
    install_body_limits(app, settings, UPLOAD_ROUTES, authenticate=jwt_middleware)
    install_security_headers(app, settings)
    install_connection_shares(app)
    app.register_middleware(jwt_middleware, "request", priority=50)
    for blueprint in BLUEPRINTS:
        app.blueprint(blueprint)
    install_error_documentation(app)
    install_doc_parts(app)
    _serve_frontend(app, settings.frontend_dist)

    # an API process's pool has its own size (Settings.api_db_pool_max)
    api_database = settings.model_copy(update={"db_pool_max": settings.api_db_pool_max})

    async def _open_db(app: Sanic) -> None:
        await init_db(api_database)

    async def _close_db(app: Sanic) -> None:
        await close_db()

    if manage_db:
        app.before_server_start(_open_db)
        app.after_server_stop(_close_db)
    app.after_server_start(_freeze_startup_objects)
    return app


async def _freeze_startup_objects(app: Sanic) -> None:
    """What a process built until it serves (modules, routes, the API document: some 200,000
    objects) lives as long as it does. Frozen, the collector's full passes under load walk only
    what requests made: otherwise each one walks them all and stalls every request in flight
    for tens of milliseconds (the tail of a busy list's latency)."""
    gc.collect()
    gc.freeze()


def _serve_frontend(app: Sanic, dist: Path) -> None:
    """The built admin UI: its assets, and index.html for every other non-API path (SPA)."""
    index = dist / "index.html"
    if (dist / "assets").is_dir():
        app.static("/assets", dist / "assets", name="frontend_assets")
    if (dist / "docs-assets").is_dir():
        app.static("/docs-assets", dist / "docs-assets", name="docs_assets")

    @app.get("/", name="spa_root")
    @openapi.exclude()
    @endpoint(public=True)
    async def spa_root(request: Request) -> HTTPResponse:
        return await _index(index)

    @app.get("/<path:path>", name="spa_fallback")
    @openapi.exclude()
    @endpoint(public=True)
    async def spa_fallback(request: Request, path: str) -> HTTPResponse:
        if path.startswith(("api/", "assets/", "docs")) or path == "api":  # docs, docs-assets too
            raise NotFound("No route for {path}", code="route_not_found", params={"path": f"/{path}"})
        return await _index(index)


async def _index(index: Path) -> HTTPResponse:
    if not index.is_file():
        raise NotFound("The admin UI is not built (run `make frontend`)", code="ui_not_built")
    return await file(index, headers={"Cache-Control": "no-cache"})
