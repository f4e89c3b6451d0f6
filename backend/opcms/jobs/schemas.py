"""Task execution, job and schedule shapes (executions are shared by every domain that runs jobs:
usage pulls, invoice runs)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from opcms.core.schemas import (
    Page,
    PageQuery,
    PatchSchema,
    PublicSchema,
    ReasonRequest,
    Schema,
    UtcDateTime,
    sort_by,
)
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
    heartbeat_at: dt.datetime | None = Field(
        default=None, description="last sign of life from the worker running it"
    )
    status_reason: str | None = Field(
        default=None,
        description="why it was skipped (the same run is live), cancelled, or failed by the reaper",
    )


class ExecutionDetail(ExecutionPublic):
    retry_execution_ids: list[int] = Field(
        default_factory=list, description="the executions that retried this one"
    )


class ExecutionPage(Page[ExecutionPublic]):
    pass


#: what an execution list (any job's, usage pulls, invoice runs) sorts by
EXECUTION_SORTABLE = ("id", "created_at", "status")


class ExecutionQuery(PageQuery):
    status: ExecutionStatus | None = None
    sort: str | None = sort_by(*EXECUTION_SORTABLE)


class TaskExecutionQuery(ExecutionQuery):
    task_name: str | None = Field(default=None, max_length=64)
    trigger: Trigger | None = None
    triggered_by: str | None = Field(default=None, max_length=64)
    created_from: UtcDateTime | None = Field(
        default=None, description="created at or after (ISO 8601; a date is midnight UTC)"
    )
    created_to: UtcDateTime | None = Field(default=None, description="created before")


class JobPublic(BaseModel):
    name: str
    title: str
    description: str
    parameters_schema: dict[str, Any] = Field(description="JSON Schema of the job's parameters")


class JobList(BaseModel):
    items: list[JobPublic]


class TriggerRequest(Schema):
    job: str = Field(min_length=1, max_length=64, description="the job's name, e.g. billing.run_period")
    parameters: dict[str, Any] = Field(
        default_factory=dict, description="checked with the job's parameters schema"
    )


class CancelRequest(ReasonRequest):
    pass


class SchedulePublic(PublicSchema):
    id: int
    name: str
    task_name: str
    cron: str
    timezone: str
    is_enabled: bool
    parameters: dict[str, Any]
    description: str
    next_run_at: dt.datetime | None
    last_run_at: dt.datetime | None
    last_execution_id: int | None
    updated_at: dt.datetime
    updated_by: str | None


class ScheduleList(BaseModel):
    items: list[SchedulePublic]


class ScheduleUpdate(PatchSchema):
    not_null = ("cron", "timezone", "is_enabled", "parameters")

    cron: str | None = Field(
        default=None, min_length=1, max_length=64, description="minute hour day month weekday"
    )
    timezone: str | None = Field(
        default=None, min_length=1, max_length=64, description="IANA name, e.g. Asia/Shanghai"
    )
    is_enabled: bool | None = None
    parameters: dict[str, Any] | None = Field(
        default=None, description="checked with the job's parameters schema"
    )
