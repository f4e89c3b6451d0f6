"""Jobs routes: the jobs there are, their executions (list, detail, trigger, cancel, retry) and
their schedules (DESIGN §10). The logic is in jobs/service.py and jobs/schedules.py."""

from __future__ import annotations

from sanic import Blueprint, Request

from opcms.core.http import endpoint
from opcms.core.schemas import patch_changes
from opcms.jobs import queries, schedules, service
from opcms.jobs.models import JobSchedule, Trigger
from opcms.jobs.registry import all_jobs
from opcms.jobs.schemas import (
    CancelRequest,
    ExecutionDetail,
    ExecutionPage,
    ExecutionPublic,
    JobList,
    JobPublic,
    ScheduleList,
    SchedulePublic,
    ScheduleUpdate,
    TaskExecutionQuery,
    TriggerRequest,
)

bp = Blueprint("jobs", url_prefix="/api/v1")


async def _detail(execution_id: int) -> ExecutionDetail:
    execution = await service.get_execution(execution_id)
    detail = ExecutionDetail.model_validate(execution)
    detail.retry_execution_ids = await queries.retry_ids(execution.id)
    return detail


# --- jobs and executions ------------------------------------------------------------------------
@bp.get("/jobs")
@endpoint(permission="jobs:read", response=JobList, tag="jobs")
async def list_jobs(request: Request) -> JobList:
    """The jobs that can be run, with the JSON Schema of their parameters."""
    return JobList(
        items=[
            JobPublic(
                name=spec.name,
                title=spec.title,
                description=spec.description,
                parameters_schema=spec.parameters.model_json_schema(),
            )
            for spec in all_jobs()
        ]
    )


@bp.get("/task-executions")
@endpoint(permission="jobs:read", query=TaskExecutionQuery, response=ExecutionPage, tag="jobs")
async def list_task_executions(request: Request, query: TaskExecutionQuery) -> ExecutionPage:
    """Executions of every job, newest first; filter by task, status, trigger, who and when."""
    return ExecutionPage.model_validate(await queries.search_executions(query))


@bp.get("/task-executions/<execution_id:int>")
@endpoint(permission="jobs:read", response=ExecutionDetail, tag="jobs")
async def get_task_execution(request: Request, execution_id: int) -> ExecutionDetail:
    """One execution with its counters, log excerpt, heartbeat, and the executions retrying it."""
    return await _detail(execution_id)


@bp.post("/task-executions")
@endpoint(permission="jobs:run", body=TriggerRequest, response=ExecutionPublic, status=202, tag="jobs")
async def trigger_job(request: Request, body: TriggerRequest) -> ExecutionPublic:
    """Queue a job now (409 while the same job with the same parameters is pending or running —
    the attempt is recorded as skipped; 503 when the queue is down)."""
    return ExecutionPublic.model_validate(await service.trigger(body.job, body.parameters, Trigger.MANUAL))


@bp.post("/task-executions/<execution_id:int>/cancel")
@endpoint(permission="jobs:run", body=CancelRequest, response=ExecutionDetail, tag="jobs")
async def cancel_task_execution(request: Request, execution_id: int, body: CancelRequest) -> ExecutionDetail:
    """Cancel a pending execution (409 once a worker has started it); the worker then skips it."""
    await service.cancel(execution_id, body.reason)
    return await _detail(execution_id)


@bp.post("/task-executions/<execution_id:int>/retry")
@endpoint(permission="jobs:run", response=ExecutionPublic, status=202, tag="jobs")
async def retry_task_execution(request: Request, execution_id: int) -> ExecutionPublic:
    """Queue a failed or partial execution again, as a new execution that says which one it retries."""
    return ExecutionPublic.model_validate(await service.retry(execution_id))


# --- schedules ----------------------------------------------------------------------------------
@bp.get("/job-schedules")
@endpoint(permission="jobs:read", response=ScheduleList, tag="jobs")
async def list_job_schedules(request: Request) -> ScheduleList:
    """When Beat starts each job: cron in a time zone, enabled, parameters, next and last run."""
    return ScheduleList(
        items=[SchedulePublic.model_validate(row) for row in await JobSchedule.all().order_by("name")]
    )


@bp.get("/job-schedules/<schedule_id:int>")
@endpoint(permission="jobs:read", response=SchedulePublic, tag="jobs")
async def get_job_schedule(request: Request, schedule_id: int) -> SchedulePublic:
    """One schedule."""
    return SchedulePublic.model_validate(await schedules.get_schedule(schedule_id))


@bp.patch("/job-schedules/<schedule_id:int>")
@endpoint(permission="jobs:schedule", body=ScheduleUpdate, response=SchedulePublic, tag="jobs")
async def update_job_schedule(request: Request, schedule_id: int, body: ScheduleUpdate) -> SchedulePublic:
    """Change a schedule's cron, time zone, enabled or parameters (422 for a bad one: nothing
    changes); its next run is worked out again."""
    changes = patch_changes(body)
    return SchedulePublic.model_validate(await schedules.update_schedule(schedule_id, changes))
