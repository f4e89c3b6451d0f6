"""Task executions: one row per job run — scheduled, manual or retry (DESIGN §10)."""

from __future__ import annotations

import enum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from opcms.core.models import AuditedModel, foreign_key


class ExecutionStatus(str, enum.Enum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCESS = "success"
    PARTIAL = "partial"
    FAILED = "failed"
    CANCELLED = "cancelled"
    # another run of the same job and parameters held the lock: recorded, never silently dropped
    SKIPPED = "skipped"


class Trigger(str, enum.Enum):
    SCHEDULE = "schedule"
    MANUAL = "manual"  # API or UI
    CLI = "cli"
    RETRY = "retry"


class TaskExecution(Model):
    id = fields.BigIntField(primary_key=True)
    task_name = fields.CharField(max_length=64, db_index=True)
    trigger = fields.CharEnumField(Trigger, max_length=16)
    parameters: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    status = fields.CharEnumField(
        ExecutionStatus, max_length=16, default=ExecutionStatus.PENDING, db_index=True
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)
    duration_ms = fields.IntField(null=True)
    # processed, succeeded, failed, alerts, notifications, plus the job's own (retries, …)
    counters: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    # what the job produced, e.g. the invoice run's summary (count, receivable, by level…)
    result: fields.JSONField[dict[str, Any] | None] = fields.JSONField(null=True)
    log_excerpt = fields.TextField(null=True)
    error = fields.TextField(null=True)
    triggered_by = fields.CharField(max_length=64)
    retry_of: fields.ForeignKeyNullableRelation[TaskExecution] = foreign_key(
        "opcms.TaskExecution", "retries", null=True
    )
    retry_of_id: int | None
    # The run lock: the job's lock key (task + parameters) while the execution is pending or
    # running, NULL once it has finished. The unique key lets one live run per key exist.
    active_key = fields.CharField(max_length=64, null=True, unique=True)
    # written every few seconds by the worker running it; a running execution whose heartbeat
    # is older than the timeout lost its worker and is marked failed (jobs/locks.py)
    heartbeat_at = fields.DatetimeField(null=True)
    # why it was skipped, cancelled or failed by the reaper (not an error of the job itself)
    status_reason = fields.TextField(null=True)

    class Meta:
        table = "task_execution"
        ordering = ("-id",)


class JobSchedule(AuditedModel):
    """When Beat starts a job: a cron expression in a time zone, editable by admins."""

    name = fields.CharField(max_length=64, unique=True)
    task_name = fields.CharField(max_length=64)
    cron = fields.CharField(max_length=64)
    timezone = fields.CharField(max_length=64, default="Asia/Shanghai")
    is_enabled = fields.BooleanField(default=True)
    # keyword arguments of the job, e.g. the reminder stages
    parameters: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    description = fields.CharField(max_length=255, default="")
    # the next time it is due (UTC). Beat moves it forward with a conditional UPDATE before it
    # sends the job, so a due time fires once even if two Beats look at it together.
    next_run_at = fields.DatetimeField(null=True)
    last_run_at = fields.DatetimeField(null=True)
    last_execution_id = fields.BigIntField(null=True)

    audit_ignored = frozenset({"next_run_at", "last_run_at", "last_execution_id"})

    class Meta:
        table = "job_schedule"
        ordering = ("name",)


class Lease(Model):
    """A named lease held by one process until it expires (e.g. the active Beat)."""

    name = fields.CharField(max_length=64, primary_key=True)
    holder = fields.CharField(max_length=128)
    expires_at = fields.DatetimeField()

    class Meta:
        table = "job_lease"
