"""Celery tasks of the reminders domain: the daily overdue reminders (Beat, 09:00 Asia/Shanghai)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel

from opcms.core.settings import business_today
from opcms.jobs.registry import JobSpec, job_task
from opcms.reminders.schemas import DEFAULT_STAGES, ReminderParameters
from opcms.reminders.service import JOB_NAME, send_overdue


def resolve(parameters: BaseModel) -> dict[str, Any]:
    """Concrete parameters: the stages in order and the day (today unless given), so the run
    lock keeps two runs for the same day from overlapping."""
    assert isinstance(parameters, ReminderParameters)
    return {"stages": list(parameters.stages), "day": (parameters.day or business_today()).isoformat()}


# registered with its task by @job_task
SPEC = JobSpec(
    name=JOB_NAME,
    title="Overdue reminders",
    parameters=ReminderParameters,
    resolve=resolve,
    description=f"remind customers (e-mail, SMS) and owners (WeCom) of open invoices at stages relative to "
    f"the due date (default {DEFAULT_STAGES}); each (invoice, stage) at most once",
)


@job_task(SPEC)
async def send_overdue_reminders(run, stages: list[int], day: dt.date | None = None) -> None:
    """Send today's stage of every open invoice that reached one."""
    await send_overdue(run, stages=stages, day=day)
