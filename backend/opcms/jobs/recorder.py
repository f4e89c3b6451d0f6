"""Recording a job run as a ``task_execution`` row (DESIGN §10).

A run is created ``pending`` (by the API when it enqueues, or by the job itself), turns
``running`` when a worker picks it up, and ends ``success``, ``partial`` (some items failed),
or ``failed`` (nothing succeeded, or the job raised). Counters and a bounded log excerpt are
saved with it. While the body runs the execution's heartbeat is kept fresh, and when it ends
its run lock (``active_key``) is released (jobs/locks.py).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from opcms.core.context import current_actor
from opcms.core.models import utcnow
from opcms.jobs.locks import keep_alive
from opcms.jobs.models import ExecutionStatus, TaskExecution, Trigger

log = logging.getLogger("opcms.jobs")

LOG_EXCERPT_CHARS = 8000
#: what a finished run writes on its execution (active_key None frees the run lock)
OUTCOME_FIELDS = ("status", "finished_at", "duration_ms", "counters", "log_excerpt", "error", "active_key")
FINISHED = frozenset(
    {
        ExecutionStatus.SUCCESS,
        ExecutionStatus.PARTIAL,
        ExecutionStatus.FAILED,
        ExecutionStatus.CANCELLED,
        ExecutionStatus.SKIPPED,
    }
)


class ExecutionRun:
    """What a running job writes to: counters and log lines, saved when the run ends."""

    def __init__(self, execution: TaskExecution) -> None:
        self.execution = execution
        self.skipped = False  # the execution had already finished: the body must not run
        self.counters: Counter[str] = Counter()
        # the counters split by what they were counted for (a usage pull's sources): saved in the
        # execution's result as {"breakdown": {part: {counter: n}}}, read by /metrics
        self.breakdown: dict[str, Counter[str]] = {}
        self._log: list[str] = []
        self._log_chars = 0

    def count(self, name: str, n: int = 1) -> None:
        self.counters[name] += n

    def count_for(self, part: str, name: str, n: int = 1) -> None:
        """Count ``n`` as ``name`` in the run's counters and in ``part``'s own."""
        self.counters[name] += n
        self.breakdown.setdefault(part, Counter())[name] += n

    def log(self, line: str) -> None:
        # keep the first lines whole: they say what went wrong first
        if self._log_chars < LOG_EXCERPT_CHARS:
            self._log.append(line[: LOG_EXCERPT_CHARS - self._log_chars])
            self._log_chars += len(self._log[-1]) + 1

    @property
    def log_excerpt(self) -> str:
        return "\n".join(self._log)

    def outcome(self) -> ExecutionStatus:
        failed, succeeded = self.counters["failed"], self.counters["succeeded"]
        if failed and succeeded:
            return ExecutionStatus.PARTIAL
        if failed:
            return ExecutionStatus.FAILED
        return ExecutionStatus.SUCCESS


async def create_execution(
    task_name: str,
    parameters: dict[str, Any],
    trigger: Trigger,
    *,
    retry_of: int | None = None,
    active_key: str | None = None,
) -> TaskExecution:
    """A ``pending`` execution, e.g. by the API just before it enqueues the job.

    With ``active_key`` it takes the run lock: an ``IntegrityError`` says another live
    execution holds it (opcms.jobs.service.trigger handles that)."""
    return await TaskExecution.create(
        task_name=task_name,
        trigger=trigger,
        parameters=parameters,
        status=ExecutionStatus.PENDING,
        triggered_by=current_actor.get().name[:64],
        retry_of_id=retry_of,
        active_key=active_key,
    )


@asynccontextmanager
async def run_execution(
    task_name: str,
    parameters: dict[str, Any],
    trigger: Trigger = Trigger.MANUAL,
    *,
    execution_id: int | None = None,
) -> AsyncIterator[ExecutionRun]:
    """Run a job body as an execution: the given pending one, or a new one.

    A redelivered Celery task finds its execution ``running`` (the worker died) and runs it
    again: jobs are idempotent. One that already finished is not run twice — the body is
    skipped and ``run.skipped`` is set.
    """
    if execution_id is not None:
        execution = await TaskExecution.get(id=execution_id)
    else:
        execution = await create_execution(task_name, parameters, trigger)
    run = ExecutionRun(execution)
    started_at = utcnow()
    # pending → running only if nobody cancelled it (or the reaper failed it) meanwhile
    claimed = await TaskExecution.filter(
        id=execution.id, status__in=[ExecutionStatus.PENDING, ExecutionStatus.RUNNING]
    ).update(
        status=ExecutionStatus.RUNNING, started_at=execution.started_at or started_at, heartbeat_at=started_at
    )
    if not claimed:
        await execution.refresh_from_db()
        run.skipped = True
        yield run
        return
    execution.status, execution.started_at = ExecutionStatus.RUNNING, execution.started_at or started_at
    started = time.monotonic()
    try:
        async with keep_alive(execution.id):
            yield run
    except BaseException as error:
        execution.status = ExecutionStatus.FAILED
        execution.error = f"{type(error).__name__}: {error}"[:4000]
        raise
    else:
        execution.status = run.outcome()
    finally:
        execution.finished_at = utcnow()
        execution.duration_ms = int((time.monotonic() - started) * 1000)
        execution.counters = dict(run.counters)
        # Tortoise types a TextField str even when the column is nullable
        execution.log_excerpt = run.log_excerpt or None  # type: ignore[assignment]
        execution.active_key = None
        # only a running execution is finished here: one the reaper already failed (its worker
        # looked dead) stays failed, and its lock may already belong to a retry
        outcome = {name: getattr(execution, name) for name in OUTCOME_FIELDS}
        if run.breakdown:
            parts = {part: dict(counted) for part, counted in sorted(run.breakdown.items())}
            execution.result = outcome["result"] = {**(execution.result or {}), "breakdown": parts}
        running = TaskExecution.filter(id=execution.id, status=ExecutionStatus.RUNNING)
        finished = await running.update(**outcome)
        if not finished:
            log.warning(
                "execution %s ended after it was marked finished; its outcome was not recorded", execution.id
            )
            await execution.refresh_from_db()
