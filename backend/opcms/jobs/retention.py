"""The daily retention job (``jobs.prune_retention``): what is kept only for a while goes.

Each domain offers a pruner: given the time of the run, it removes what its retention setting
says is past keeping and answers how many it removed. ``opcms.wiring`` registers them under the
counter they fill. A pruner removes only what is already past its time, so running the job again
for the same day removes nothing more.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from opcms.core.audit import AuditAction, record_audit
from opcms.core.models import utcnow
from opcms.core.schemas import Schema
from opcms.jobs.recorder import ExecutionRun
from opcms.jobs.registry import JobSpec, job_task

JOB_NAME = "jobs.prune_retention"

Pruner = Callable[[dt.datetime], Awaitable[int]]
_pruners: dict[str, Pruner] = {}


def register_pruner(counter: str, pruner: Pruner) -> None:
    """Run ``pruner`` in the retention job; what it removed is counted as ``counter``. Pruners run
    in the order registered (the sessions' tokens before the sessions)."""
    _pruners[counter] = pruner


class RetentionParameters(Schema):
    """No parameters: the retention settings say what is past keeping."""


SPEC = JobSpec(
    name=JOB_NAME,
    title="Retention",
    parameters=RetentionParameters,
    description="remove uploaded import workbooks past upload_retention_days, refresh tokens and "
    "sessions expired longer than session_retention_days, and export files left by a process that died",
)


@job_task(SPEC)
async def prune_retention(run: ExecutionRun) -> None:
    """Run every registered pruner once, counting what each removed, then audit the run."""
    now = utcnow()
    for counter, pruner in _pruners.items():
        removed = await pruner(now)
        run.count(counter, removed)
        run.log(f"{counter}: {removed}")
    await record_audit(
        AuditAction.DELETE,
        "retention",
        run.execution.id,
        after=dict(run.counters),
        message="retention: past-keeping files and sessions removed",
    )
