"""Task execution shapes, shared by every domain that runs jobs (usage pulls, invoice runs)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from opcms.core.schemas import Page, PageQuery, PublicSchema
from opcms.jobs.models import ExecutionStatus, Trigger


class ExecutionPublic(PublicSchema):
    id: int
    task_name: str
    trigger: Trigger
    parameters: dict[str, Any]
    status: ExecutionStatus
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    duration_ms: int | None
    counters: dict[str, int]
    result: dict[str, Any] | None = Field(
        default=None,
        description="what the job produced, e.g. an invoice run's summary: period, invoices, receivable_total, "
        "skipped, failed, no_charge, by_level, by_industry",
    )
    log_excerpt: str | None
    error: str | None
    triggered_by: str
    retry_of_id: int | None


class ExecutionPage(Page[ExecutionPublic]):
    pass


class ExecutionQuery(PageQuery):
    status: ExecutionStatus | None = None
