"""Routes of the billing domain (issue 6)."""

from __future__ import annotations

from sanic import Blueprint

bp = Blueprint("billing", url_prefix="/api/v1")
