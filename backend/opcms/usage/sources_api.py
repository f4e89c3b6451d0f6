"""Data source routes: sources, their account mappings, health checks and usage uploads."""

from __future__ import annotations

from sanic import Blueprint

bp = Blueprint("data_sources", url_prefix="/api/v1")
