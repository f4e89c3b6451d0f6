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


class ChannelHealth(str, enum.Enum):
    """What the latest health check of a channel said (``unknown``: never checked yet)."""

    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"
    UNKNOWN = "unknown"


class AttemptOutcome(str, enum.Enum):
    SENT = "sent"
    FAILED = "failed"  # worth trying again (a server error, a timeout)
    REFUSED = "refused"  # refused for good (a bad recipient, bad credentials, a broken configuration)
    SKIPPED = "skipped"  # not tried: the channel is disabled, unhealthy or deleted, or no target for it


class MoveOnReason(str, enum.Enum):
    """Why a message left a channel of its chain for the next one."""

    CHANNEL_DISABLED = "channel_disabled"
    CHANNEL_DELETED = "channel_deleted"
    CHANNEL_UNHEALTHY = "channel_unhealthy"
    NO_TARGET = "no_target"
    REFUSED = "refused"
    ATTEMPTS_EXHAUSTED = "attempts_exhausted"


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
    # what the latest health check said (the scheduled check every 5 minutes, or "check now");
    # a message with a fallback chain skips a channel whose latest check said unhealthy
    health_status = fields.CharEnumField(
        ChannelHealth, max_length=16, default=ChannelHealth.UNKNOWN, db_default=ChannelHealth.UNKNOWN.value
    )
    health_checked_at = fields.DatetimeField(null=True)
    health_error = fields.TextField(null=True)

    audit_masked = frozenset({"secrets_encrypted"})
    # health is written by the scheduled check, not by people: a change of status is audited on its own
    audit_ignored = frozenset({"health_status", "health_checked_at", "health_error"})

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
    # the channels tried in this order when the default one is disabled, unhealthy or out of
    # attempts (NULL = none; a sender may name its own chain)
    fallback_channel_ids: fields.JSONField[list[int] | None] = fields.JSONField(null=True)

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
    # the channels this message may go out on, in order, each with its target: [[channel id,
    # target or null]] (null: the send gave no target for that channel's kind, the hop is
    # skipped). ``hop`` is the one it is on now (``channel``/``target`` are that hop's);
    # ``attempts``/``max_attempts`` count on that channel. NULL route: the channel only.
    route: fields.JSONField[list[list[Any]] | None] = fields.JSONField(null=True)
    hop = fields.IntField(default=0, db_default=0)

    class Meta:
        table = "notification"
        ordering = ("-id",)
        indexes = (("subject_type", "subject_id"),)

    def hops(self) -> list[tuple[int, str | None]]:
        """The route as (channel id, target or None); a message stored before routes had one hop."""
        if not self.route:
            return [(self.channel_id, self.target)]
        return [(int(channel_id), target) for channel_id, target in self.route]


class NotificationAttempt(Model):
    """One try of a message on one channel — or one channel of its chain passed over, and why."""

    id = fields.BigIntField(primary_key=True)
    notification: fields.ForeignKeyRelation[Notification] = foreign_key(
        "opcms.Notification", "attempt_history"
    )
    notification_id: int
    channel: fields.ForeignKeyRelation[NotificationChannel] = foreign_key(
        "opcms.NotificationChannel", "attempts"
    )
    channel_id: int
    target = fields.CharField(max_length=255, default="")
    # the attempt's number on this channel (1, 2, …); a skipped channel: 0
    attempt = fields.IntField(default=0)
    hop = fields.IntField(default=0)
    started_at = fields.DatetimeField()
    finished_at = fields.DatetimeField()
    outcome = fields.CharEnumField(AttemptOutcome, max_length=8)
    error = fields.TextField(null=True)
    provider_reference = fields.CharField(max_length=128, null=True)
    # set when the message left this channel for the next of its chain after this attempt
    moved_on = fields.CharEnumField(MoveOnReason, max_length=24, null=True)

    class Meta:
        table = "notification_attempt"
        ordering = ("id",)
        indexes = (("notification_id", "id"),)


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
