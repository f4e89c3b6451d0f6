"""Task executions: one row per job run — scheduled, manual or retry (DESIGN §10)."""

from __future__ import annotations

import enum

from tortoise import fields
from tortoise.models import Model


class ExecutionStatus(str, enum.Enum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCESS = "success"
    PARTIAL = "partial"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Trigger(str, enum.Enum):
    SCHEDULE = "schedule"
    MANUAL = "manual"  # API or UI
    CLI = "cli"
    RETRY = "retry"


class TaskExecution(Model):
    id = fields.BigIntField(primary_key=True)
    task_name = fields.CharField(max_length=64, db_index=True)
    trigger = fields.CharEnumField(Trigger, max_length=16)
    parameters = fields.JSONField(default=dict)
    status = fields.CharEnumField(ExecutionStatus, max_length=16, default=ExecutionStatus.PENDING, db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)
    duration_ms = fields.IntField(null=True)
    # processed, succeeded, failed, alerts, notifications, plus the job's own (retries, …)
    counters = fields.JSONField(default=dict)
    # what the job produced, e.g. the invoice run's summary (count, receivable, by level…)
    result = fields.JSONField(null=True)
    log_excerpt = fields.TextField(null=True)
    error = fields.TextField(null=True)
    triggered_by = fields.CharField(max_length=64)
    retry_of = fields.ForeignKeyField("opcms.TaskExecution", related_name="retries", null=True, on_delete=fields.RESTRICT)

    class Meta:
        table = "task_execution"
        ordering = ("-id",)
