"""Celery tasks of the usage domain: the nightly pull (Beat, 02:00 Asia/Shanghai) and queued pulls."""

from __future__ import annotations

import datetime as dt

from opcms.core.tasks import async_task
from opcms.jobs.models import Trigger
from opcms.usage import service


@async_task("usage.pull_day")
async def pull_day(
    first_day: str | None = None,
    last_day: str | None = None,
    source: str | None = None,
    execution_id: int | None = None,
) -> str:
    """Pull the given days, or yesterday (business time zone) when Beat calls it with none."""
    scheduled = first_day is None
    first = dt.date.fromisoformat(first_day) if first_day else service.yesterday()
    last = dt.date.fromisoformat(last_day) if last_day else first
    execution = await service.run_pull(
        first, last, source_name=source, execution_id=execution_id,
        trigger=Trigger.SCHEDULE if scheduled else Trigger.MANUAL,
    )
    return execution.status.value
