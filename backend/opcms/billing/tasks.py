"""The invoice run as a job (``billing.run_period``): Beat on day 1 at 04:00 Asia/Shanghai for
last month, the API, retries and ``opcms bill``. Its coordinator task plans the run and fans
its chunks out as a ``group`` so several workers share a run."""

from __future__ import annotations

import datetime as dt
from typing import Any

from celery import current_task, group
from pydantic import Field

from opcms.billing import run
from opcms.core.periods import Period, previous_period
from opcms.core.schemas import Id, Schema
from opcms.core.settings import business_today
from opcms.core.tasks import async_task
from opcms.jobs.registry import JobSpec, register_job, register_runner


class RunParameters(Schema):
    period: Period | None = Field(default=None, description="YYYY-MM; default: last month")
    customer_id: Id | None = Field(default=None, description="bill one customer only")
    issue_date: dt.date | None = Field(default=None, description="default: today (business time zone)")
    chunk_size: int = Field(default=run.CHUNK_SIZE, ge=1, le=10_000, description="customers per chunk")


def resolve(parameters: RunParameters) -> dict[str, Any]:
    """The concrete period ('last month' becomes 2026-10) and issue date."""
    period = parameters.period or previous_period(business_today())
    return run.run_parameters(period, parameters.customer_id, parameters.issue_date, parameters.chunk_size)


async def check(parameters: dict[str, Any]) -> None:
    await run.check_request(parameters["period"], parameters.get("customer_id"))


RUN_JOB = register_job(
    JobSpec(
        name=run.TASK_NAME,
        title="Invoice run",
        parameters=RunParameters,
        resolve=resolve,
        check=check,
        # one run per period (and customer) at a time, whatever its chunk size or issue date
        lock_parameters=("period", "customer_id"),
        description="invoice a period (default: last month) for every billable customer, or one",
    )
)
register_runner(run.TASK_NAME, run.run_execution_here)


@async_task(run.CHUNK_TASK)
async def run_chunk_task(chunk_id: int) -> dict[str, Any]:
    """Bill one chunk; the last chunk to finish finalizes the run. The worker running it (its
    node name, ``--hostname``) is recorded on the chunk: which worker billed which share."""
    return await run.bill_chunk(chunk_id, worker=current_task.request.hostname)


@async_task(run.TASK_NAME)
async def run_period_task(execution_id: int) -> int:
    """Plan a queued run (created by trigger: API, Beat, retry) and dispatch its chunks."""
    chunk_ids = await run.plan_run(execution_id)
    if chunk_ids:
        group(run_chunk_task.s(chunk_id) for chunk_id in chunk_ids).apply_async()
    return execution_id
