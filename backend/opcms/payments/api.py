"""Routes of the payments domain (issue 6)."""

from __future__ import annotations

from sanic import Blueprint

bp = Blueprint("payments", url_prefix="/api/v1")
