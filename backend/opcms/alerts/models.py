"""Alert rules kept in the database, their firings, and the quiet periods that keep a firing
from being sent twice (DESIGN §9 "What to watch")."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

from opcms.core.models import AuditedModel, foreign_key

if TYPE_CHECKING:
    from opcms.notifications.models import NotificationChannel


class ConditionKind(str, enum.Enum):
    """What a rule watches; each kind is read by the domain that owns the data (conditions.py)."""

    JOB_FAILED = "job_failed"  # a job's execution ended failed
    USAGE_PULL_EMPTY = "usage_pull_empty"  # a usage pull fetched (at most N) rows for a source
    USAGE_VS_AVERAGE = "usage_vs_average"  # a customer's daily usage above/below N× its trailing average
    NOTIFICATION_BACKLOG = "notification_backlog"  # messages waiting longer than M minutes, over N
    CHANNEL_FAILING = "channel_failing"  # a channel's last K tried messages all failed
    INVOICE_RUN_FAILED = "invoice_run_failed"  # an invoice run with failed customers


class FiringStatus(str, enum.Enum):
    SENT = "sent"  # handed to the notifications service (its message ids are kept)
    FAILED = "failed"  # could not be sent: no usable channel or template (the error is kept)


class AlertRule(AuditedModel):
    """A condition, its threshold and parameters, where a firing is sent, and its quiet period."""

    name = fields.CharField(max_length=128, unique=True)
    kind = fields.CharEnumField(ConditionKind, max_length=32)
    # the kind says what it is: a count, a number of rows, a multiplier (conditions.KINDS)
    threshold = fields.DecimalField(max_digits=20, decimal_places=4)
    # the kind's own parameters (job, source, channel, direction, older_than_minutes …)
    params: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    # the channel a firing is sent on; NULL: the template's default channel
    channel: fields.ForeignKeyNullableRelation[NotificationChannel] = foreign_key(
        "opcms.NotificationChannel", "alert_rules", null=True
    )
    channel_id: int | None
    template_code = fields.CharField(max_length=64, default="alert.fired")
    # an e-mail address, phone number or WeCom user id(s); empty for a group bot
    target = fields.CharField(max_length=255, default="")
    # per subject, no second message within this many minutes of a sent one
    quiet_minutes = fields.IntField(default=60)
    is_enabled = fields.BooleanField(default=False)
    description = fields.CharField(max_length=255, default="")
    # when an evaluation last claimed the rule (Beat's housekeeping, or "evaluate now")
    last_evaluated_at = fields.DatetimeField(null=True)

    audit_ignored = frozenset({"last_evaluated_at"})

    class Meta:
        table = "alert_rule"
        ordering = ("name",)


class AlertFiring(Model):
    """A rule's condition met for one subject, sent (or not) once for its quiet period.

    Occurrences inside the quiet period are not sent and get no row of their own: they are
    counted on the firing they repeat (``repeats``, ``last_seen_at``)."""

    id = fields.BigIntField(primary_key=True)
    rule: fields.ForeignKeyRelation[AlertRule] = foreign_key("opcms.AlertRule", "firings")
    rule_id: int
    kind = fields.CharEnumField(ConditionKind, max_length=32)
    # what it is about: "job:usage.pull_day", "source:vendor-a", "channel:ops", "customer:7:api_calls"
    subject = fields.CharField(max_length=191)
    value = fields.DecimalField(max_digits=20, decimal_places=4)
    threshold = fields.DecimalField(max_digits=20, decimal_places=4)
    # the text sent (the alert template's summary), and the parameters it was written from
    message = fields.TextField()
    detail: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    fired_at = fields.DatetimeField()
    quiet_until = fields.DatetimeField()
    repeats = fields.IntField(default=0)
    last_seen_at = fields.DatetimeField()
    status = fields.CharEnumField(FiringStatus, max_length=8)
    notification_ids: fields.JSONField[list[int]] = fields.JSONField(default=list)
    error = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "alert_firing"
        ordering = ("-id",)
        indexes = (("rule_id", "subject", "fired_at"), ("fired_at",), ("status", "fired_at"))


class AlertQuiet(Model):
    """The quiet period of one (rule, subject): held like a lease (jobs.schedules.hold_lease).
    Only the evaluation that takes it — the unique key refuses a second row, the conditional
    UPDATE a period not yet over — sends; every other one counts a repeat."""

    id = fields.BigIntField(primary_key=True)
    rule: fields.ForeignKeyRelation[AlertRule] = foreign_key("opcms.AlertRule", "quiet_periods")
    rule_id: int
    subject = fields.CharField(max_length=191)
    until = fields.DatetimeField()
    firing_id = fields.BigIntField(null=True)

    class Meta:
        table = "alert_quiet"
        unique_together = (("rule", "subject"),)
