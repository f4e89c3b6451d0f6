"""The usage pull as a job (``usage.pull_day``): Beat at 02:00 Asia/Shanghai for yesterday, the
API and the CLI for a day or a back-fill. Its Celery task takes the execution id."""

from __future__ import annotations

import datetime as dt
from typing import Any

from opcms.core.i18n import Invalid
from opcms.core.tasks import async_task
from opcms.jobs.models import TaskExecution
from opcms.jobs.registry import JobSpec, register_job, register_runner
from opcms.usage import service
from opcms.usage.pull import TASK_NAME
from opcms.usage.schemas import PullDays


class PullParameters(PullDays):
    """One day (``day``), a back-fill (``first_day``…``last_day``), or nothing: yesterday."""


def resolve(parameters: PullParameters) -> dict[str, Any]:
    """The concrete days: 'yesterday' becomes a date, so the run lock holds the day pulled."""
    if parameters.day is not None and (parameters.first_day or parameters.last_day):
        raise Invalid("day_or_range_not_both", "give either day or first_day and last_day, not both")
    if parameters.last_day is not None and parameters.first_day is None:
        raise Invalid("last_day_needs_first_day", "last_day needs first_day")
    first = parameters.day or parameters.first_day or service.yesterday()
    last = parameters.day or parameters.last_day or first
    service.check_days(first, last)
    return service.pull_parameters(first, last, parameters.source)


PULL_JOB = register_job(
    JobSpec(
        name=TASK_NAME,
        title="Usage pull",
        parameters=PullParameters,
        resolve=resolve,
        description="pull the usage of a day (default: yesterday, business time zone) or a back-fill from the data "
        "sources (all enabled, or one)",
    )
)


async def run_pull_execution(execution_id: int) -> TaskExecution:
    """Run a pending pull execution in this process (a worker, or ``run_now``)."""
    execution = await TaskExecution.get(id=execution_id)
    params = execution.parameters
    return await service.run_pull(
        dt.date.fromisoformat(params["first_day"]),
        dt.date.fromisoformat(params["last_day"]),
        source_name=params.get("source"),
        execution_id=execution_id,
        check=False,
    )


register_runner(TASK_NAME, run_pull_execution)


@async_task(TASK_NAME)
async def pull_day(execution_id: int) -> str:
    """Pull the days of a queued execution (created by trigger: API, Beat, retry)."""
    return (await run_pull_execution(execution_id)).status.value
