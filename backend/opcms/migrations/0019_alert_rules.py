"""Alert rules (issue: alert rules kept in the database): the rules, their firings and the quiet
periods that keep a firing from being sent twice; the alert template, and one default rule per
condition kind.

The seeds are plain portable SQL (SQLite and MySQL) with literal values, like 0010. The template
``alert.fired`` has no channel, and the rules name none: every default rule is disabled until an
admin gives it (or the template) a channel — the rule list says why a rule cannot send. The
thresholds are docs/alerts.md's: a job failed once, a pull fetched 0 rows for a source, usage
above 3× or below 0.2× its trailing average, more than 50 messages waiting over 10 minutes, a
channel's last 5 messages failed, an invoice run failed a customer; quiet period 60 minutes.
"""

import enum
import functools
import json
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


# The choices as this migration wrote them, frozen here: a later change to the live enums in
# the models must not rewrite what this migration did.
class ConditionKind(str, enum.Enum):
    JOB_FAILED = "job_failed"
    USAGE_PULL_EMPTY = "usage_pull_empty"
    USAGE_VS_AVERAGE = "usage_vs_average"
    NOTIFICATION_BACKLOG = "notification_backlog"
    CHANNEL_FAILING = "channel_failing"
    INVOICE_RUN_FAILED = "invoice_run_failed"


class FiringStatus(str, enum.Enum):
    SENT = "sent"
    FAILED = "failed"


TEMPLATE_CODE = "alert.fired"
TEMPLATE_VARIABLES = ["rule", "kind", "subject", "value", "threshold", "summary", "fired_at"]
TEMPLATE = (
    TEMPLATE_CODE,
    "告警（运维）",
    "【告警】{{ rule }}",
    "**【告警】{{ rule }}**\n"
    "> {{ summary }}\n"
    "> 类型：{{ kind }}\n"
    "> 对象：{{ subject }}\n"
    "> 观测值：{{ value }}（阈值 {{ threshold }}）\n"
    "> 时间：{{ fired_at }}\n",
)

# name, kind, threshold, params, description
RULES = [
    ("任务失败", "job_failed", "1", {"job": None}, "任一任务执行失败（每个任务每个静默期提醒一次）"),
    ("用量拉取无数据", "usage_pull_empty", "0", {"source": None}, "用量拉取某数据源取到 0 行"),
    (
        "客户用量高于均值 3 倍",
        "usage_vs_average",
        "3",
        {"direction": "above", "source": None, "metric": None},
        "客户某日用量高于过往均值的 3 倍",
    ),
    (
        "客户用量低于均值 0.2 倍",
        "usage_vs_average",
        "0.2",
        {"direction": "below", "source": None, "metric": None},
        "客户某日用量低于过往均值的 0.2 倍",
    ),
    (
        "通知积压",
        "notification_backlog",
        "50",
        {"older_than_minutes": 10, "channel": None},
        "某渠道等待超过 10 分钟的消息多于 50 条",
    ),
    ("通知渠道连续失败", "channel_failing", "5", {"channel": None}, "某渠道最近 5 条消息连续发送失败"),
    ("账单运行有失败客户", "invoice_run_failed", "1", {}, "账单运行中有客户开票失败"),
]


def _quoted(text: str) -> str:
    # no backslashes in the texts: MySQL would read them as escapes, SQLite would not
    assert "\\" not in text
    return "'" + text.replace("'", "''") + "'"


def _template_row(code: str, name: str, title: str, body: str) -> str:
    return (
        "INSERT INTO notification_template (code, name, channel_id, title, body, variables, created_at, "
        "updated_at, created_by, updated_by, is_deleted) VALUES "
        f"({_quoted(code)}, {_quoted(name)}, NULL, {_quoted(title)}, {_quoted(body)}, "
        f"{_quoted(json.dumps(TEMPLATE_VARIABLES))}, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'system:migration', "
        "'system:migration', 0)"
    )


def _rule_row(name: str, kind: str, threshold: str, params: dict, description: str) -> str:
    return (
        "INSERT INTO alert_rule (name, kind, threshold, params, channel_id, template_code, target, quiet_minutes, "
        "is_enabled, description, created_at, updated_at, created_by, updated_by, is_deleted) VALUES "
        f"({_quoted(name)}, {_quoted(kind)}, {threshold}, {_quoted(json.dumps(params, separators=(',', ':')))}, "
        f"NULL, {_quoted(TEMPLATE_CODE)}, '', 60, 0, {_quoted(description)}, CURRENT_TIMESTAMP, "
        "CURRENT_TIMESTAMP, 'system:migration', 'system:migration', 0)"
    )


#: the statements that seed the template and the rules (tests run them again: the tables are
#: emptied after every test)
SEED_TEMPLATE = [_template_row(*TEMPLATE)]
SEED_RULES = [_rule_row(*rule) for rule in RULES]
RULE_NAMES = ", ".join(_quoted(rule[0]) for rule in RULES)


class Migration(migrations.Migration):
    dependencies = [("opcms", "0018_seed_retention_schedule")]

    initial = False

    operations = [
        ops.CreateModel(
            name="AlertRule",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ("created_by", fields.CharField(null=True, max_length=64)),
                ("updated_by", fields.CharField(null=True, max_length=64)),
                ("is_deleted", fields.BooleanField(default=False, db_index=True)),
                ("deleted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("deleted_by", fields.CharField(null=True, max_length=64)),
                ("name", fields.CharField(unique=True, max_length=128)),
                (
                    "kind",
                    fields.CharEnumField(
                        description="JOB_FAILED: job_failed\nUSAGE_PULL_EMPTY: usage_pull_empty\nUSAGE_VS_AVERAGE: usage_vs_average\nNOTIFICATION_BACKLOG: notification_backlog\nCHANNEL_FAILING: channel_failing\nINVOICE_RUN_FAILED: invoice_run_failed",
                        enum_type=ConditionKind,
                        max_length=32,
                    ),
                ),
                ("threshold", fields.DecimalField(max_digits=20, decimal_places=4)),
                (
                    "params",
                    fields.JSONField(
                        default=dict, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                (
                    "channel",
                    fields.ForeignKeyField(
                        "opcms.NotificationChannel",
                        source_field="channel_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="alert_rules",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("template_code", fields.CharField(default="alert.fired", max_length=64)),
                ("target", fields.CharField(default="", max_length=255)),
                ("quiet_minutes", fields.IntField(default=60)),
                ("is_enabled", fields.BooleanField(default=False)),
                ("description", fields.CharField(default="", max_length=255)),
                ("last_evaluated_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "alert_rule",
                "app": "opcms",
                "pk_attr": "id",
                "table_description": "A condition, its threshold and parameters, where a firing is sent, and its quiet period.",
            },
            bases=["AuditedModel"],
        ),
        ops.CreateModel(
            name="AlertFiring",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "rule",
                    fields.ForeignKeyField(
                        "opcms.AlertRule",
                        source_field="rule_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="firings",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "kind",
                    fields.CharEnumField(
                        description="JOB_FAILED: job_failed\nUSAGE_PULL_EMPTY: usage_pull_empty\nUSAGE_VS_AVERAGE: usage_vs_average\nNOTIFICATION_BACKLOG: notification_backlog\nCHANNEL_FAILING: channel_failing\nINVOICE_RUN_FAILED: invoice_run_failed",
                        enum_type=ConditionKind,
                        max_length=32,
                    ),
                ),
                ("subject", fields.CharField(max_length=191)),
                ("value", fields.DecimalField(max_digits=20, decimal_places=4)),
                ("threshold", fields.DecimalField(max_digits=20, decimal_places=4)),
                ("message", fields.TextField(unique=False)),
                (
                    "detail",
                    fields.JSONField(
                        default=dict, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("fired_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("quiet_until", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("repeats", fields.IntField(default=0)),
                ("last_seen_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "status",
                    fields.CharEnumField(
                        description="SENT: sent\nFAILED: failed", enum_type=FiringStatus, max_length=8
                    ),
                ),
                (
                    "notification_ids",
                    fields.JSONField(
                        default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("error", fields.TextField(null=True, unique=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "alert_firing",
                "app": "opcms",
                "indexes": [
                    Index(fields=["rule_id", "subject", "fired_at"]),
                    Index(fields=["fired_at"]),
                    Index(fields=["status", "fired_at"]),
                ],
                "pk_attr": "id",
                "table_description": "A rule's condition met for one subject, sent (or not) once for its quiet period.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="AlertQuiet",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "rule",
                    fields.ForeignKeyField(
                        "opcms.AlertRule",
                        source_field="rule_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="quiet_periods",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("subject", fields.CharField(max_length=191)),
                ("until", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("firing_id", fields.BigIntField(null=True)),
            ],
            options={
                "table": "alert_quiet",
                "app": "opcms",
                "unique_together": (("rule", "subject"),),
                "pk_attr": "id",
                "table_description": "The quiet period of one (rule, subject): held like a lease (jobs.schedules.hold_lease).",
            },
            bases=["Model"],
        ),
        ops.RunSQL(
            SEED_TEMPLATE,
            reverse_sql=[
                "DELETE FROM notification_template WHERE created_by = 'system:migration' "
                f"AND code = {_quoted(TEMPLATE_CODE)}"
            ],
        ),
        ops.RunSQL(
            SEED_RULES,
            reverse_sql=[
                f"DELETE FROM alert_rule WHERE created_by = 'system:migration' AND name IN ({RULE_NAMES})"
            ],
        ),
    ]
