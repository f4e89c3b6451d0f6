"""The run lock and the heartbeat of task executions (DESIGN §10).

**Run lock.** While an execution is ``pending`` or ``running`` its ``active_key`` holds the
job's lock key — a hash of the job name and its concrete parameters — and the unique index on
that column lets one live execution per key exist: a second insert with the same key fails in
the database, whatever process it comes from. Every place an execution ends sets the key back
to NULL (the recorder, the invoice run's finalize/fail, cancel, the reaper).

**Heartbeat.** While a worker runs an execution, :func:`keep_alive` writes ``heartbeat_at``
every ``job_heartbeat_seconds``. A worker killed mid-run stops writing; the reaper
(:func:`opcms.jobs.service.reap_stale`) then marks the execution failed and frees its key.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from opcms.core.models import utcnow
from opcms.core.settings import get_settings
from opcms.jobs.models import ExecutionStatus, TaskExecution

log = logging.getLogger("opcms.jobs")

LIVE = (ExecutionStatus.PENDING, ExecutionStatus.RUNNING)


def lock_key(job_name: str, parameters: dict[str, Any]) -> str:
    """sha256 of the job name and its parameters as canonical JSON (64 hex digits)."""
    canonical = json.dumps(parameters, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(f"{job_name}\n{canonical}".encode()).hexdigest()


async def beat(execution_id: int) -> None:
    """One heartbeat, only while the execution is running."""
    await TaskExecution.filter(id=execution_id, status=ExecutionStatus.RUNNING).update(heartbeat_at=utcnow())


async def _beat_forever(execution_id: int, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            await beat(execution_id)
        except asyncio.CancelledError:
            raise
        except Exception:  # a missed beat is not fatal: the next one may get through
            log.warning("heartbeat of execution %s failed", execution_id, exc_info=True)


@contextlib.asynccontextmanager
async def keep_alive(execution_id: int) -> AsyncIterator[None]:
    """Write the execution's heartbeat now and every few seconds until the block ends.

    Enter it outside any transaction: Tortoise routes the queries of a task created inside
    ``in_transaction`` to that transaction's connection, and the heartbeats would then wait
    for it (or be rolled back with it).
    """
    await beat(execution_id)
    task = asyncio.create_task(_beat_forever(execution_id, get_settings().job_heartbeat_seconds))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
