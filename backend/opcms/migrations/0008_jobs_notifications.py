import enum
import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from opcms.core.migration_ops import AlterFieldStateOnly


# The choices as this migration wrote them, frozen here: a later change to the live enum
# in the models must not rewrite what this migration did.
class ExecutionStatus(str, enum.Enum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCESS = "success"
    PARTIAL = "partial"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


class ChannelKind(str, enum.Enum):
    WECOM_BOT = "wecom_bot"
    WECOM_APP = "wecom_app"
    EMAIL = "email"
    SMS = "sms"


class NotificationStatus(str, enum.Enum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DEAD = "dead"


class Priority(str, enum.Enum):
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class Migration(migrations.Migration):
    dependencies = [("opcms", "0007_reconciliation")]

    initial = False

    operations = [
        ops.CreateModel(
            name="InvoiceReminder",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "invoice",
                    fields.ForeignKeyField(
                        "opcms.Invoice",
                        source_field="invoice_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="reminders",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("stage", fields.IntField()),
                ("sent_on", fields.DateField()),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "invoice_reminder",
                "app": "opcms",
                "unique_together": (("invoice", "stage"),),
                "pk_attr": "id",
                "table_description": "An overdue-reminder stage sent for an invoice: at most one per (invoice, stage).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="JobSchedule",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ("created_by", fields.CharField(null=True, max_length=64)),
                ("updated_by", fields.CharField(null=True, max_length=64)),
                ("is_deleted", fields.BooleanField(default=False, db_index=True)),
                ("deleted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("deleted_by", fields.CharField(null=True, max_length=64)),
                ("name", fields.CharField(unique=True, max_length=64)),
                ("task_name", fields.CharField(max_length=64)),
                ("cron", fields.CharField(max_length=64)),
                ("timezone", fields.CharField(default="Asia/Shanghai", max_length=64)),
                ("is_enabled", fields.BooleanField(default=True)),
                (
                    "parameters",
                    fields.JSONField(
                        default=dict, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("description", fields.CharField(default="", max_length=255)),
                ("next_run_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("last_run_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("last_execution_id", fields.BigIntField(null=True)),
            ],
            options={
                "table": "job_schedule",
                "app": "opcms",
                "pk_attr": "id",
                "table_description": "When Beat starts a job: a cron expression in a time zone, editable by admins.",
            },
            bases=["AuditedModel"],
        ),
        ops.CreateModel(
            name="Lease",
            fields=[
                ("name", fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ("holder", fields.CharField(max_length=128)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "job_lease",
                "app": "opcms",
                "pk_attr": "name",
                "table_description": "A named lease held by one process until it expires (e.g. the active Beat).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="NotificationChannel",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ("created_by", fields.CharField(null=True, max_length=64)),
                ("updated_by", fields.CharField(null=True, max_length=64)),
                ("is_deleted", fields.BooleanField(default=False, db_index=True)),
                ("deleted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("deleted_by", fields.CharField(null=True, max_length=64)),
                ("name", fields.CharField(unique=True, max_length=64)),
                (
                    "kind",
                    fields.CharEnumField(
                        description="WECOM_BOT: wecom_bot\nWECOM_APP: wecom_app\nEMAIL: email\nSMS: sms",
                        enum_type=ChannelKind,
                        max_length=16,
                    ),
                ),
                (
                    "settings",
                    fields.JSONField(
                        default=dict, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("secrets_encrypted", fields.TextField(null=True, unique=False)),
                ("is_enabled", fields.BooleanField(default=True)),
                ("rate_per_minute", fields.IntField(null=True)),
                ("max_attempts", fields.IntField(default=5)),
                ("remark", fields.CharField(null=True, max_length=255)),
            ],
            options={
                "table": "notification_channel",
                "app": "opcms",
                "pk_attr": "id",
                "table_description": "Where messages go: a kind, its settings, and its secrets (encrypted, never answered).",
            },
            bases=["AuditedModel"],
        ),
        ops.CreateModel(
            name="Notification",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("template_code", fields.CharField(null=True, db_index=True, max_length=64)),
                (
                    "channel",
                    fields.ForeignKeyField(
                        "opcms.NotificationChannel",
                        source_field="channel_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="notifications",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("target", fields.CharField(default="", max_length=255)),
                ("title", fields.CharField(default="", max_length=255)),
                ("content", fields.TextField(unique=False)),
                (
                    "priority",
                    fields.CharEnumField(
                        default=Priority.NORMAL,
                        description="HIGH: high\nNORMAL: normal\nLOW: low",
                        enum_type=Priority,
                        max_length=8,
                    ),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        default=NotificationStatus.PENDING,
                        db_index=True,
                        description="PENDING: pending\nSENDING: sending\nSENT: sent\nFAILED: failed\nDEAD: dead",
                        enum_type=NotificationStatus,
                        max_length=8,
                    ),
                ),
                ("attempts", fields.IntField(default=0)),
                ("max_attempts", fields.IntField(default=5)),
                (
                    "next_attempt_at",
                    fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False),
                ),
                ("last_error", fields.TextField(null=True, unique=False)),
                ("sent_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("provider_reference", fields.CharField(null=True, max_length=128)),
                ("subject_type", fields.CharField(null=True, max_length=32)),
                ("subject_id", fields.BigIntField(null=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ("created_by", fields.CharField(null=True, max_length=64)),
            ],
            options={
                "table": "notification",
                "app": "opcms",
                "indexes": [Index(fields=["subject_type", "subject_id"])],
                "pk_attr": "id",
                "table_description": "One message to one target on one channel, rendered before it is queued.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="NotificationTemplate",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ("created_by", fields.CharField(null=True, max_length=64)),
                ("updated_by", fields.CharField(null=True, max_length=64)),
                ("is_deleted", fields.BooleanField(default=False, db_index=True)),
                ("deleted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("deleted_by", fields.CharField(null=True, max_length=64)),
                ("code", fields.CharField(unique=True, max_length=64)),
                ("name", fields.CharField(default="", max_length=128)),
                (
                    "channel",
                    fields.ForeignKeyField(
                        "opcms.NotificationChannel",
                        source_field="channel_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="templates",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("title", fields.CharField(default="", max_length=255)),
                ("body", fields.TextField(unique=False)),
                (
                    "variables",
                    fields.JSONField(
                        default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
            ],
            options={
                "table": "notification_template",
                "app": "opcms",
                "pk_attr": "id",
                "table_description": "A message with named variables (Jinja2, sandboxed), sent on a channel by default.",
            },
            bases=["AuditedModel"],
        ),
        ops.AddField(
            model_name="CustomerStatusHistory",
            name="cause",
            field=fields.CharField(null=True, max_length=16),
        ),
        # a new choice: the column stays VARCHAR(16) (a real AlterField rebuilds the SQLite table)
        AlterFieldStateOnly(
            model_name="TaskExecution",
            name="status",
            field=fields.CharEnumField(
                default=ExecutionStatus.PENDING,
                db_index=True,
                description="PENDING: pending\nRUNNING: running\nSUCCESS: success\nPARTIAL: partial\nFAILED: failed\nCANCELLED: cancelled\nSKIPPED: skipped",
                enum_type=ExecutionStatus,
                max_length=16,
            ),
        ),
        ops.AddField(
            model_name="TaskExecution",
            name="active_key",
            field=fields.CharField(null=True, unique=True, max_length=64),
        ),
        ops.AddField(
            model_name="TaskExecution",
            name="heartbeat_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="TaskExecution",
            name="status_reason",
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name="User",
            name="email",
            field=fields.CharField(null=True, max_length=254),
        ),
        ops.AddField(
            model_name="User",
            name="wecom_userid",
            field=fields.CharField(null=True, max_length=64),
        ),
    ]
