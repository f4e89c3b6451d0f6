"""notifications routes (issue 7)."""

from __future__ import annotations

from sanic import Blueprint

bp = Blueprint("notifications", url_prefix="/api/v1")
