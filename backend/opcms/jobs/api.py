"""jobs routes (issue 7)."""

from __future__ import annotations

from sanic import Blueprint

bp = Blueprint("jobs", url_prefix="/api/v1")
