"""Running jobs: trigger (queue for a worker), run now (this process), cancel, retry, reap.

Every way a job starts — the API, Beat, a retry, the CLI — goes through :func:`trigger` or
:func:`run_now`: the parameters are checked with the job's model and made concrete, and the
execution is created holding the run lock (jobs/locks.py). When another live execution holds
the key, the attempt is recorded as a ``skipped`` execution saying which run holds it, and
:class:`JobAlreadyRunning` is raised. A holder whose worker died (stale heartbeat) is failed
first, and the attempt goes ahead.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

from pydantic import ValidationError
from tortoise.exceptions import IntegrityError

from opcms.core.audit import AuditAction, record_audit
from opcms.core.context import current_actor
from opcms.core.errors import Conflict, NotFound, QueueUnavailable, ValidationFailed
from opcms.core.i18n import pydantic_message
from opcms.core.models import utcnow
from opcms.core.settings import get_settings
from opcms.jobs.locks import LIVE, lock_key
from opcms.jobs.models import ExecutionStatus, TaskExecution, Trigger
from opcms.jobs.recorder import create_execution
from opcms.jobs.registry import JobSpec, get_job, get_runner

log = logging.getLogger("opcms.jobs")

RETRYABLE = (ExecutionStatus.FAILED, ExecutionStatus.PARTIAL)


class JobAlreadyRunning(Conflict):
    code = "job_already_running"

    def __init__(self, running: TaskExecution, skipped: TaskExecution) -> None:
        super().__init__(
            f"{running.task_name} with these parameters is already {running.status.value} (run #{running.id})",
            code="job_already_running",
            params={"job": running.task_name, "status": running.status, "id": running.id},
            details=[
                {
                    "field": None,
                    "message": skipped.status_reason or "",
                    "running_execution_id": running.id,
                    "skipped_execution_id": skipped.id,
                }
            ],
        )
        self.running, self.skipped = running, skipped


def job_or_404(job_name: str) -> JobSpec:
    spec = get_job(job_name)
    if spec is None:
        raise NotFound(f"no job named {job_name!r}", code="job_not_found", params={"name": job_name})
    return spec


def validate_parameters(
    spec: JobSpec, parameters: dict[str, Any] | None, field: str = "parameters"
) -> dict[str, Any]:
    """The job's parameters checked with its model and made concrete (422 with per-field details)."""
    try:
        model = spec.parameters.model_validate(parameters or {})
    except ValidationError as error:
        details = [
            {
                "field": ".".join([field, *(str(p) for p in e["loc"])]),
                "message": pydantic_message(e),
                "type": e["type"],
            }
            for e in error.errors()
        ]
        raise ValidationFailed(
            f"{field}: not valid for {spec.name}",
            key="job_parameters_invalid",
            params={"field": field, "job": spec.name},
            details=details,
        ) from None
    try:
        return spec.resolve(model)
    except ValueError as error:
        raise ValidationFailed.field(field, error) from None


async def prepare(spec: JobSpec, parameters: dict[str, Any] | None) -> dict[str, Any]:
    resolved = validate_parameters(spec, parameters)
    if spec.check is not None:
        await spec.check(resolved)
    return resolved


def key_of(spec: JobSpec, resolved: dict[str, Any]) -> str:
    keyed = resolved if spec.lock_parameters is None else {k: resolved.get(k) for k in spec.lock_parameters}
    return lock_key(spec.name, keyed)


async def acquire(
    spec: JobSpec, resolved: dict[str, Any], trigger: Trigger, *, retry_of: int | None = None
) -> TaskExecution:
    """A pending execution holding the run lock, or a ``skipped`` one and JobAlreadyRunning."""
    key = key_of(spec, resolved)
    for attempt in range(3):
        try:
            return await create_execution(spec.name, resolved, trigger, retry_of=retry_of, active_key=key)
        except IntegrityError:
            holder = await TaskExecution.get_or_none(active_key=key)
            if holder is None:
                continue  # it finished in between: take the key now
            if attempt == 0 and await reap_stale(holder.id):
                continue  # its worker died: it is failed now, and the key is free
            now = utcnow()
            skipped = await TaskExecution.create(
                task_name=spec.name,
                trigger=trigger,
                parameters=resolved,
                status=ExecutionStatus.SKIPPED,
                triggered_by=_actor(),
                retry_of_id=retry_of,
                started_at=now,
                finished_at=now,
                duration_ms=0,
                status_reason=f"run #{holder.id} of the same job with the same parameters is running",
            )
            raise JobAlreadyRunning(holder, skipped) from None
    raise Conflict("the run lock kept changing hands; try again", code="job_lock_busy")


def _actor() -> str:
    return current_actor.get().name[:64]


async def _release(execution_id: int, status: ExecutionStatus, **fields: Any) -> int:
    """End a live execution (conditional: only if it is still pending or running)."""
    return await TaskExecution.filter(id=execution_id, status__in=LIVE).update(
        status=status, finished_at=utcnow(), active_key=None, **fields
    )


async def trigger(
    job_name: str,
    parameters: dict[str, Any] | None = None,
    trigger: Trigger = Trigger.MANUAL,
    *,
    retry_of: int | None = None,
) -> TaskExecution:
    """Queue a job for the workers; answers the pending execution (409 when the same run is live,
    503 when the broker refused it: the execution then says "could not be queued")."""
    spec = job_or_404(job_name)
    execution = await acquire(spec, await prepare(spec, parameters), trigger, retry_of=retry_of)
    from opcms.core.celery_app import celery_app

    try:
        # the producer talks to the broker synchronously: keep it off the event loop
        await asyncio.to_thread(celery_app.send_task, spec.name, kwargs={"execution_id": execution.id})
    except Exception as error:  # the broker is down: the execution says so, the caller gets a 503
        await _release(execution.id, ExecutionStatus.FAILED, error=f"could not be queued: {error}"[:4000])
        unqueued = QueueUnavailable()
        unqueued.execution_id = execution.id  # Beat records it on the schedule
        raise unqueued from None
    return execution


async def run_now(
    job_name: str, parameters: dict[str, Any] | None = None, trigger: Trigger = Trigger.CLI
) -> TaskExecution:
    """Run a job in this process under the same lock (CLI, tests); answers the finished execution."""
    spec = job_or_404(job_name)
    runner = get_runner(spec.name)
    if runner is None:
        raise NotFound(
            f"{job_name} cannot be run in this process", code="job_not_runnable", params={"name": job_name}
        )
    execution = await acquire(spec, await prepare(spec, parameters), trigger)
    try:
        await runner(execution.id)
    except BaseException as error:
        # the runner records its own failures; this frees the lock of one that could not
        await _release(execution.id, ExecutionStatus.FAILED, error=f"{type(error).__name__}: {error}"[:4000])
        raise
    return await TaskExecution.get(id=execution.id)


# --- cancel, retry ------------------------------------------------------------------------------
async def get_execution(execution_id: int) -> TaskExecution:
    from opcms.core.models import get_or_404

    return await get_or_404(TaskExecution, execution_id, "task_execution")


async def cancel(execution_id: int, reason: str) -> TaskExecution:
    """Cancel a pending execution: a worker that picks it up later does not run it."""
    execution = await get_execution(execution_id)
    cancelled = await TaskExecution.filter(id=execution_id, status=ExecutionStatus.PENDING).update(
        status=ExecutionStatus.CANCELLED,
        finished_at=utcnow(),
        active_key=None,
        status_reason=f"cancelled by {_actor()}: {reason}"[:4000],
    )
    if not cancelled:
        await execution.refresh_from_db()
        raise Conflict(
            f"execution {execution_id} is {execution.status.value}; only a pending one can be cancelled",
            code="execution_not_pending",
            params={"id": execution_id, "status": execution.status},
        )
    await record_audit(
        AuditAction.STATUS_CHANGE,
        "task_execution",
        execution_id,
        before={"status": ExecutionStatus.PENDING.value},
        after={"status": ExecutionStatus.CANCELLED.value},
        message=reason,
    )
    await execution.refresh_from_db()
    return execution


async def retry(execution_id: int) -> TaskExecution:
    """Queue a failed or partial execution again as a new one (``retry_of``, trigger ``retry``)."""
    execution = await get_execution(execution_id)
    if execution.status not in RETRYABLE:
        raise Conflict(
            f"execution {execution_id} is {execution.status.value}; only a failed or partial one can be retried",
            code="execution_not_retryable",
            params={"id": execution_id, "status": execution.status},
        )
    new = await trigger(execution.task_name, execution.parameters, Trigger.RETRY, retry_of=execution.id)
    await record_audit(
        "retry",
        "task_execution",
        execution_id,
        after={"retry_execution_id": new.id},
        message=f"retried as execution {new.id}",
    )
    return new


# --- the reaper ---------------------------------------------------------------------------------
async def reap_stale(execution_id: int | None = None, *, now: dt.datetime | None = None) -> list[int]:
    """Fail running executions whose worker stopped beating (all, or the one given); their ids.

    Beat calls it every minute; trigger calls it for the execution holding the key it needs."""
    stale_after = get_settings().job_stale_after_seconds
    cutoff = (now or utcnow()) - dt.timedelta(seconds=stale_after)
    candidates = TaskExecution.filter(status=ExecutionStatus.RUNNING)
    if execution_id is not None:
        candidates = candidates.filter(id=execution_id)
    reaped: list[int] = []
    for execution in await candidates:
        last_sign = execution.heartbeat_at or execution.started_at or execution.created_at
        if last_sign >= cutoff:
            continue
        seen = last_sign.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        # conditional on the same heartbeat: a beat that arrived meanwhile keeps it alive
        done = await TaskExecution.filter(
            id=execution.id, status=ExecutionStatus.RUNNING, heartbeat_at=execution.heartbeat_at
        ).update(
            status=ExecutionStatus.FAILED,
            finished_at=utcnow(),
            active_key=None,
            status_reason=f"no heartbeat since {seen} (worker lost)",
        )
        if done:
            log.warning(
                "execution %s (%s) failed: no heartbeat since %s", execution.id, execution.task_name, seen
            )
            reaped.append(execution.id)
    return reaped
