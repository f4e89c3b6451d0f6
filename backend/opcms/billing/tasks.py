"""Celery tasks of the billing domain: the invoice run (Beat on day 1 at 04:00 Asia/Shanghai,
for last month) and its chunks, fanned out as a ``group`` so several workers share a run."""

from __future__ import annotations

import datetime as dt

from celery import group

from opcms.billing import run
from opcms.billing.invoicing import previous_period
from opcms.core.settings import business_today
from opcms.core.tasks import async_task
from opcms.jobs.models import Trigger
from opcms.jobs.recorder import create_execution


@async_task(run.CHUNK_TASK)
async def run_chunk_task(chunk_id: int) -> dict:
    """Bill one chunk; the last chunk to finish finalizes the run."""
    return await run.bill_chunk(chunk_id)


@async_task(run.TASK_NAME)
async def run_period_task(
    period: str | None = None,
    customer_id: int | None = None,
    issue_date: str | None = None,
    execution_id: int | None = None,
    chunk_size: int = run.CHUNK_SIZE,
) -> int:
    """Plan the run (Beat calls it with nothing: last month) and dispatch its chunks."""
    if execution_id is None:
        scheduled = period is None
        period = period or previous_period(business_today())
        day = dt.date.fromisoformat(issue_date) if issue_date else None
        execution = await create_execution(
            run.TASK_NAME, run.run_parameters(period, customer_id, day, chunk_size),
            Trigger.SCHEDULE if scheduled else Trigger.MANUAL,
        )
        execution_id = execution.id
    chunk_ids = await run.plan_run(execution_id)
    if chunk_ids:
        group(run_chunk_task.s(chunk_id) for chunk_id in chunk_ids).apply_async()
    return execution_id
