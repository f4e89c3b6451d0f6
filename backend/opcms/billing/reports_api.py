"""Routes of the billing_reports domain (issue 6)."""

from __future__ import annotations

from sanic import Blueprint

bp = Blueprint("billing_reports", url_prefix="/api/v1")
