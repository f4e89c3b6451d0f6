"""Celery tasks of the imports domain: big files run here (see ``service.submit``)."""

from __future__ import annotations

from opcms.core.tasks import async_task
from opcms.imports import service


@async_task("opcms.imports.run")
async def run_import(import_id: int) -> str:
    """Run one stored import; a finished import is left alone (a redelivered task is a no-op)."""
    job = await service.run_by_id(import_id)
    return "missing" if job is None else job.status.value
