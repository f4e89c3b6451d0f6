"""Notification failover (DESIGN §9): every attempt kept in ``notification_attempt``; a message
carries its route (the channels of its fallback chain, each with its target) and the hop it is
on; a template names its fallback chain; a channel keeps what its latest health check said; the
health check of every enabled channel is scheduled every 5 minutes."""

import enum
import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


# The choices as this migration wrote them, frozen here: a later change to the live enums in
# the models must not rewrite what this migration did.
class AttemptOutcome(str, enum.Enum):
    SENT = "sent"
    FAILED = "failed"
    REFUSED = "refused"
    SKIPPED = "skipped"


class MoveOnReason(str, enum.Enum):
    CHANNEL_DISABLED = "channel_disabled"
    CHANNEL_DELETED = "channel_deleted"
    CHANNEL_UNHEALTHY = "channel_unhealthy"
    NO_TARGET = "no_target"
    REFUSED = "refused"
    ATTEMPTS_EXHAUSTED = "attempts_exhausted"


class ChannelHealth(str, enum.Enum):
    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"
    UNKNOWN = "unknown"


# the health check of every enabled channel, every 5 minutes (read by the tests too)
SCHEDULE = (
    "INSERT INTO job_schedule (name, task_name, cron, timezone, is_enabled, parameters, description, "
    "created_at, updated_at, created_by, updated_by, is_deleted) VALUES "
    "('notification-channel-health', 'notifications.check_channels', '*/5 * * * *', 'Asia/Shanghai', "
    "1, '{}', 'check every enabled notification channel (failover passes over unhealthy ones)', "
    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'system:migration', 'system:migration', 0)"
)


class Migration(migrations.Migration):
    dependencies = [("opcms", "0019_alert_rules")]

    initial = False

    operations = [
        ops.CreateModel(
            name="NotificationAttempt",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "notification",
                    fields.ForeignKeyField(
                        "opcms.Notification",
                        source_field="notification_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="attempt_history",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "channel",
                    fields.ForeignKeyField(
                        "opcms.NotificationChannel",
                        source_field="channel_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="attempts",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("target", fields.CharField(default="", max_length=255)),
                ("attempt", fields.IntField(default=0)),
                ("hop", fields.IntField(default=0)),
                ("started_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("finished_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "outcome",
                    fields.CharEnumField(
                        description="SENT: sent\nFAILED: failed\nREFUSED: refused\nSKIPPED: skipped",
                        enum_type=AttemptOutcome,
                        max_length=8,
                    ),
                ),
                ("error", fields.TextField(null=True, unique=False)),
                ("provider_reference", fields.CharField(null=True, max_length=128)),
                (
                    "moved_on",
                    fields.CharEnumField(
                        null=True,
                        description="CHANNEL_DISABLED: channel_disabled\nCHANNEL_DELETED: channel_deleted\nCHANNEL_UNHEALTHY: channel_unhealthy\nNO_TARGET: no_target\nREFUSED: refused\nATTEMPTS_EXHAUSTED: attempts_exhausted",
                        enum_type=MoveOnReason,
                        max_length=24,
                    ),
                ),
            ],
            options={
                "table": "notification_attempt",
                "app": "opcms",
                "indexes": [Index(fields=["notification_id", "id"])],
                "pk_attr": "id",
                "table_description": "One try of a message on one channel — or one channel of its chain passed over, and why.",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="Notification",
            name="hop",
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name="Notification",
            name="route",
            field=fields.JSONField(
                null=True, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
            ),
        ),
        ops.AddField(
            model_name="NotificationChannel",
            name="health_checked_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="NotificationChannel",
            name="health_error",
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name="NotificationChannel",
            name="health_status",
            field=fields.CharEnumField(
                default=ChannelHealth.UNKNOWN,
                description="HEALTHY: healthy\nUNHEALTHY: unhealthy\nUNKNOWN: unknown",
                db_default="unknown",
                enum_type=ChannelHealth,
                max_length=16,
            ),
        ),
        ops.AddField(
            model_name="NotificationTemplate",
            name="fallback_channel_ids",
            field=fields.JSONField(
                null=True, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
            ),
        ),
        ops.RunSQL(
            [SCHEDULE], reverse_sql=["DELETE FROM job_schedule WHERE name = 'notification-channel-health'"]
        ),
    ]
