"""Usage use cases: run a pull (now, in this process) or request one (queued for a worker).

Both go through the job ``usage.pull_day`` (usage/tasks.py) and its run lock: a second pull
of the same days and source while one is live is recorded as skipped (409)."""

from __future__ import annotations

import datetime as dt

from opcms.core.errors import ValidationFailed
from opcms.core.settings import business_today
from opcms.jobs.models import TaskExecution, Trigger
from opcms.jobs.recorder import run_execution
from opcms.usage.pull import MAX_BACKFILL_DAYS, TASK_NAME, pull_usage


def yesterday() -> dt.date:
    """'Yesterday' in the business time zone (DESIGN §1), whatever the server's zone."""
    return business_today() - dt.timedelta(days=1)


def check_days(first_day: dt.date, last_day: dt.date) -> None:
    if last_day < first_day:
        raise ValidationFailed.field(
            "last_day", "must not be before first_day", code="not_before", params={"other": "first_day"}
        )
    if last_day > business_today():
        raise ValidationFailed.field(
            "last_day", "usage of a day that has not happened cannot be pulled", code="usage_day_in_future"
        )
    if (last_day - first_day).days + 1 > MAX_BACKFILL_DAYS:
        raise ValidationFailed.field(
            "last_day",
            f"a back-fill covers at most {MAX_BACKFILL_DAYS} days",
            code="backfill_too_long",
            params={"limit": MAX_BACKFILL_DAYS},
        )


def pull_parameters(first_day: dt.date, last_day: dt.date, source_name: str | None) -> dict:
    return {"first_day": first_day.isoformat(), "last_day": last_day.isoformat(), "source": source_name}


async def run_pull(
    first_day: dt.date,
    last_day: dt.date,
    *,
    source_name: str | None = None,
    trigger: Trigger = Trigger.MANUAL,
    execution_id: int | None = None,
    check: bool = True,
) -> TaskExecution:
    """Pull the days now and record it as a task execution; returns the finished execution.

    Without ``execution_id`` the run takes no lock: the CLI and Beat use the job instead."""
    if check:
        check_days(first_day, last_day)
    async with run_execution(
        TASK_NAME, pull_parameters(first_day, last_day, source_name), trigger, execution_id=execution_id
    ) as run:
        if not run.skipped:
            await pull_usage(first_day, last_day, run, source_name=source_name)
    return run.execution


async def request_pull(
    first_day: dt.date, last_day: dt.date, source_name: str | None = None
) -> TaskExecution:
    """Queue a pull for a worker; the pending execution is answered at once (409: the same pull is
    live, 503: no broker)."""
    from opcms.jobs import service as jobs

    return await jobs.trigger(TASK_NAME, pull_parameters(first_day, last_day, source_name), Trigger.MANUAL)
