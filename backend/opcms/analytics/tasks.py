"""Celery tasks of analytics: the nightly customer scoring (DESIGN §11, issue 14)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel

from opcms.analytics.service import score_customers
from opcms.core.schemas import Schema
from opcms.core.settings import business_today
from opcms.jobs.registry import JobSpec, job_task

JOB_NAME = "analytics.score_customers"


class ScoringParameters(Schema):
    # the business day to score; empty: today
    day: dt.date | None = None


def resolve(parameters: BaseModel) -> dict[str, Any]:
    """Concrete parameters (kept on the execution, keyed by the run lock): the day."""
    assert isinstance(parameters, ScoringParameters)
    return {"day": (parameters.day or business_today()).isoformat()}


SPEC = JobSpec(
    name=JOB_NAME,
    title="Customer scores",
    parameters=ScoringParameters,
    resolve=resolve,
    description="value tier, lifecycle, churn warning and credit score of every customer for a day; "
    "re-running a day replaces that day's scores",
)


@job_task(SPEC)
async def score_customers_task(run, day: dt.date | None = None) -> None:
    """Score every live customer on ``day`` (one transaction)."""
    counters = await score_customers(day or business_today(), execution_id=run.execution.id)
    for name, value in counters.items():
        run.count(name, value)
    run.log(f"scored {counters['customers']} customers: {counters['churn_high']} at high churn risk")
