"""Celery tasks of the jobs domain."""

from __future__ import annotations

from opcms.core.db import ping_db
from opcms.core.tasks import async_task


@async_task("opcms.ping")
async def ping() -> str:
    """Round-trip check: the worker is alive and reaches the database."""
    await ping_db()
    return "pong"
