"""Factories for alert tests: rules through the real service, and the facts each condition
reads (a failed execution, a finished pull, an invoice run, waiting or failed messages) written
as the domains write them."""

from __future__ import annotations

import datetime as dt
import importlib
import itertools
from decimal import Decimal
from typing import Any

from tortoise import connections

from opcms.alerts.schemas import AlertRuleCreate
from opcms.alerts.service import create_rule
from opcms.core.context import acting_as, system_actor
from opcms.core.models import utcnow
from opcms.jobs.models import ExecutionStatus, TaskExecution, Trigger
from opcms.notifications.models import (
    AttemptOutcome,
    Notification,
    NotificationAttempt,
    NotificationChannel,
    NotificationStatus,
    NotificationTemplate,
)

ALERTS_MIGRATION = importlib.import_module("opcms.migrations.0019_alert_rules")
_seq = itertools.count(1)


async def seed_alert_template() -> NotificationTemplate:
    """The template migration 0019 seeds (channel NULL), as the migration wrote it."""
    if not await NotificationTemplate.filter(code=ALERTS_MIGRATION.TEMPLATE_CODE).exists():
        for statement in ALERTS_MIGRATION.SEED_TEMPLATE:
            await connections.get("default").execute_script(statement)
    return await NotificationTemplate.get(code=ALERTS_MIGRATION.TEMPLATE_CODE)


async def make_rule(
    kind: str, threshold: str | int, channel: NotificationChannel | None = None, **fields: Any
):
    data = AlertRuleCreate(
        name=fields.pop("name", f"rule-{next(_seq)}"),
        kind=kind,
        threshold=Decimal(str(threshold)),
        channel_id=channel.id if channel else None,
        is_enabled=fields.pop("is_enabled", channel is not None),
        **fields,
    )
    with acting_as(system_actor("test-factory")):
        return await create_rule(data)


async def finished_execution(
    task_name: str,
    status: ExecutionStatus = ExecutionStatus.SUCCESS,
    *,
    finished_at: dt.datetime | None = None,
    **fields: Any,
) -> TaskExecution:
    finished_at = finished_at or utcnow() - dt.timedelta(seconds=30)
    return await TaskExecution.create(
        task_name=task_name,
        trigger=Trigger.SCHEDULE,
        status=status,
        started_at=finished_at - dt.timedelta(seconds=5),
        finished_at=finished_at,
        triggered_by="system:beat",
        **fields,
    )


async def message(
    channel: NotificationChannel,
    status: NotificationStatus,
    *,
    attempts: int = 1,
    age_minutes: int = 0,
    error=None,
) -> Notification:
    row = await Notification.create(
        channel_id=channel.id,
        content="测试消息",
        status=status,
        attempts=attempts,
        last_error=error,
        next_attempt_at=utcnow(),
    )
    if age_minutes:
        await Notification.filter(id=row.id).update(created_at=utcnow() - dt.timedelta(minutes=age_minutes))
    # its history: the tries it took, the last one sent when it was
    for number in range(1, attempts + 1):
        sent = status is NotificationStatus.SENT and number == attempts
        await attempt(row, channel, AttemptOutcome.SENT if sent else AttemptOutcome.FAILED, error=error)
    return row


async def attempt(
    row: Notification, channel: NotificationChannel, outcome: AttemptOutcome, *, error=None
) -> NotificationAttempt:
    """One try of a message on a channel, as delivery records it."""
    now = utcnow()
    tries = await NotificationAttempt.filter(notification_id=row.id, channel_id=channel.id).count()
    return await NotificationAttempt.create(
        notification_id=row.id,
        channel_id=channel.id,
        target=row.target,
        attempt=0 if outcome is AttemptOutcome.SKIPPED else tries + 1,
        started_at=now,
        finished_at=now,
        outcome=outcome,
        error=None if outcome is AttemptOutcome.SENT else error,
    )
