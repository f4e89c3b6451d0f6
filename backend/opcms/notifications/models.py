"""Notification channels, templates, messages and overdue reminders (DESIGN §9)."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

from opcms.core.models import AuditedModel, foreign_key

if TYPE_CHECKING:
    from opcms.settlement.models import Invoice


class ChannelKind(str, enum.Enum):
    WECOM_BOT = "wecom_bot"
    WECOM_APP = "wecom_app"
    EMAIL = "email"
    SMS = "sms"


class Priority(str, enum.Enum):
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class NotificationStatus(str, enum.Enum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # will be tried again at next_attempt_at
    DEAD = "dead"  # max attempts reached (or refused for good); re-sent only by hand


class NotificationChannel(AuditedModel):
    """Where messages go: a kind, its settings, and its secrets (encrypted, never answered)."""

    name = fields.CharField(max_length=64, unique=True)
    kind = fields.CharEnumField(ChannelKind, max_length=16)
    settings: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    # Fernet token of the JSON secrets (core/secrets.py)
    secrets_encrypted = fields.TextField(null=True)
    is_enabled = fields.BooleanField(default=True)
    # messages per minute the channel accepts (a WeCom group bot: 20); NULL = no limit
    rate_per_minute = fields.IntField(null=True)
    max_attempts = fields.IntField(default=5)
    remark = fields.CharField(max_length=255, null=True)

    audit_masked = frozenset({"secrets_encrypted"})

    class Meta:
        table = "notification_channel"
        ordering = ("name",)


class NotificationTemplate(AuditedModel):
    """A message with named variables (Jinja2, sandboxed), sent on a channel by default."""

    code = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=128, default="")
    channel: fields.ForeignKeyNullableRelation[NotificationChannel] = foreign_key(
        "opcms.NotificationChannel", "templates", null=True
    )
    channel_id: int | None
    title = fields.CharField(max_length=255, default="")
    body = fields.TextField()
    # the variables the body and title may use; rendering with one missing is refused
    variables: fields.JSONField[list[str]] = fields.JSONField(default=list)

    class Meta:
        table = "notification_template"
        ordering = ("code",)


class Notification(Model):
    """One message to one target on one channel, rendered before it is queued."""

    id = fields.BigIntField(primary_key=True)
    template_code = fields.CharField(max_length=64, null=True, db_index=True)
    channel: fields.ForeignKeyRelation[NotificationChannel] = foreign_key(
        "opcms.NotificationChannel", "notifications"
    )
    channel_id: int
    # an e-mail address, a phone number, a WeCom user id; empty for a group bot
    target = fields.CharField(max_length=255, default="")
    title = fields.CharField(max_length=255, default="")
    content = fields.TextField()
    priority = fields.CharEnumField(Priority, max_length=8, default=Priority.NORMAL)
    status = fields.CharEnumField(
        NotificationStatus, max_length=8, default=NotificationStatus.PENDING, db_index=True
    )
    attempts = fields.IntField(default=0)
    max_attempts = fields.IntField(default=5)
    next_attempt_at = fields.DatetimeField(null=True, db_index=True)
    last_error = fields.TextField(null=True)
    sent_at = fields.DatetimeField(null=True)
    # what the channel answered on success (a message id), for tracing
    provider_reference = fields.CharField(max_length=128, null=True)
    # what it is about, e.g. ("invoice", 42) or ("task_execution", 7)
    subject_type = fields.CharField(max_length=32, null=True)
    subject_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    created_by = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "notification"
        ordering = ("-id",)
        indexes = (("subject_type", "subject_id"),)


class InvoiceReminder(Model):
    """An overdue-reminder stage sent for an invoice: at most one per (invoice, stage)."""

    id = fields.BigIntField(primary_key=True)
    invoice: fields.ForeignKeyRelation[Invoice] = foreign_key("opcms.Invoice", "reminders")
    invoice_id: int
    # days relative to the due date: -3 is three days before, +7 a week after
    stage = fields.IntField()
    sent_on = fields.DateField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "invoice_reminder"
        unique_together = (("invoice", "stage"),)
