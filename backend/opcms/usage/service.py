"""Usage use cases: run a pull (now, in this process) or request one (queued for a worker)."""

from __future__ import annotations

import asyncio
import datetime as dt

from opcms.core.errors import QueueUnavailable, ValidationFailed
from opcms.core.settings import business_today
from opcms.jobs.models import ExecutionStatus, TaskExecution, Trigger
from opcms.jobs.recorder import create_execution, run_execution
from opcms.usage.pull import MAX_BACKFILL_DAYS, TASK_NAME, pull_usage


def yesterday() -> dt.date:
    """'Yesterday' in the business time zone (DESIGN §1), whatever the server's zone."""
    return business_today() - dt.timedelta(days=1)


def check_days(first_day: dt.date, last_day: dt.date) -> None:
    if last_day < first_day:
        raise ValidationFailed.field("last_day", "must not be before first_day")
    if last_day > business_today():
        raise ValidationFailed.field("last_day", "usage of a day that has not happened cannot be pulled")
    if (last_day - first_day).days + 1 > MAX_BACKFILL_DAYS:
        raise ValidationFailed.field("last_day", f"a back-fill covers at most {MAX_BACKFILL_DAYS} days")


def pull_parameters(first_day: dt.date, last_day: dt.date, source_name: str | None) -> dict:
    return {"first_day": first_day.isoformat(), "last_day": last_day.isoformat(), "source": source_name}


async def run_pull(
    first_day: dt.date,
    last_day: dt.date,
    *,
    source_name: str | None = None,
    trigger: Trigger = Trigger.MANUAL,
    execution_id: int | None = None,
) -> TaskExecution:
    """Pull the days now and record it as a task execution; returns the finished execution."""
    check_days(first_day, last_day)
    async with run_execution(
        TASK_NAME, pull_parameters(first_day, last_day, source_name), trigger, execution_id=execution_id
    ) as run:
        if not run.skipped:
            await pull_usage(first_day, last_day, run, source_name=source_name)
    return run.execution


async def request_pull(first_day: dt.date, last_day: dt.date, source_name: str | None = None) -> TaskExecution:
    """Queue a pull for a worker; the pending execution is answered at once."""
    check_days(first_day, last_day)
    execution = await create_execution(TASK_NAME, pull_parameters(first_day, last_day, source_name), Trigger.MANUAL)
    from opcms.usage.tasks import pull_day

    try:
        # the producer talks to the broker synchronously: keep it off the event loop
        await asyncio.to_thread(pull_day.delay, first_day.isoformat(), last_day.isoformat(), source_name, execution.id)
    except Exception as error:  # the broker is down: the execution says so, the caller gets a 503
        execution.status, execution.error = ExecutionStatus.FAILED, f"could not be queued: {error}"[:4000]
        await execution.save(update_fields=["status", "error"])
        raise QueueUnavailable() from None
    return execution
