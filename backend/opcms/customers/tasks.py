"""Celery tasks of the customers domain: the daily account automation (DESIGN §3, issue 7)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from opcms.core.schemas import Schema
from opcms.core.settings import business_today, get_settings
from opcms.customers.automation import JOB_NAME, run_automation
from opcms.jobs.registry import JobSpec, job_task


class AutomationParameters(Schema):
    # overdue more than this many days suspends; empty: settings.suspend_after_days
    suspend_after_days: int | None = Field(default=None, ge=1, le=3650)
    # the business day to judge "overdue" on; empty: today
    day: dt.date | None = None


def resolve(parameters: BaseModel) -> dict[str, Any]:
    """Concrete parameters (stored on the execution, keyed by the run lock): today, the threshold."""
    assert isinstance(parameters, AutomationParameters)
    return {
        "suspend_after_days": parameters.suspend_after_days or get_settings().suspend_after_days,
        "day": (parameters.day or business_today()).isoformat(),
    }


# registered with its task by @job_task
SPEC = JobSpec(
    name=JOB_NAME,
    title="Account automation",
    parameters=AutomationParameters,
    resolve=resolve,
    description="suspend active customers with an invoice overdue more than suspend_after_days; "
    "reactivate customers suspended for overdue once no invoice of theirs is overdue",
)


@job_task(SPEC)
async def account_automation(run, suspend_after_days: int | None = None, day: dt.date | None = None) -> None:
    """Suspend for overdue and reactivate once settled (one transaction per customer)."""
    await run_automation(run, suspend_after_days=suspend_after_days, day=day)
