import enum
import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


# The choices as this migration wrote them, frozen here: a later change to the live enum
# in the models must not rewrite what this migration did.
class ExecutionStatus(str, enum.Enum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCESS = "success"
    PARTIAL = "partial"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Trigger(str, enum.Enum):
    SCHEDULE = "schedule"
    MANUAL = "manual"
    CLI = "cli"
    RETRY = "retry"


class AnomalyKind(str, enum.Enum):
    UNKNOWN_ACCOUNT = "unknown_account"
    UNKNOWN_METRIC = "unknown_metric"
    INVALID_QUANTITY = "invalid_quantity"
    NEGATIVE_QUANTITY = "negative_quantity"
    DAY_OUTSIDE_REQUEST = "day_outside_request"
    SPIKE = "spike"


class AnomalyStatus(str, enum.Enum):
    OPEN = "open"
    ACCEPTED = "accepted"
    CORRECTED = "corrected"
    REJECTED = "rejected"


class Migration(migrations.Migration):
    dependencies = [("opcms", "0004_imports")]

    initial = False

    operations = [
        ops.CreateModel(
            name="DataSource",
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
                ("adapter", fields.CharField(max_length=32)),
                (
                    "settings",
                    fields.JSONField(
                        default=dict, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("secrets_encrypted", fields.TextField(null=True, unique=False)),
                ("is_enabled", fields.BooleanField(default=True)),
                ("timeout_seconds", fields.IntField(default=30)),
                ("remark", fields.CharField(null=True, max_length=255)),
            ],
            options={
                "table": "data_source",
                "app": "opcms",
                "pk_attr": "id",
                "table_description": "A vendor feed: which adapter reads it, its settings, and its secrets (encrypted).",
            },
            bases=["AuditedModel"],
        ),
        ops.CreateModel(
            name="CustomerSourceAccount",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ("created_by", fields.CharField(null=True, max_length=64)),
                ("updated_by", fields.CharField(null=True, max_length=64)),
                ("is_deleted", fields.BooleanField(default=False, db_index=True)),
                ("deleted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("deleted_by", fields.CharField(null=True, max_length=64)),
                (
                    "customer",
                    fields.ForeignKeyField(
                        "opcms.Customer",
                        source_field="customer_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="source_accounts",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "source",
                    fields.ForeignKeyField(
                        "opcms.DataSource",
                        source_field="source_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="accounts",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("external_account", fields.CharField(max_length=64)),
                ("account_key", fields.CharField(null=True, max_length=64)),
            ],
            options={
                "table": "customer_source_account",
                "app": "opcms",
                "unique_together": (("source", "account_key"),),
                "pk_attr": "id",
                "table_description": "The account id a vendor uses for one of our customers.",
            },
            bases=["AuditedModel"],
        ),
        ops.CreateModel(
            name="TaskExecution",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("task_name", fields.CharField(db_index=True, max_length=64)),
                (
                    "trigger",
                    fields.CharEnumField(
                        description="SCHEDULE: schedule\nMANUAL: manual\nCLI: cli\nRETRY: retry",
                        enum_type=Trigger,
                        max_length=16,
                    ),
                ),
                (
                    "parameters",
                    fields.JSONField(
                        default=dict, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        default=ExecutionStatus.PENDING,
                        db_index=True,
                        description="PENDING: pending\nRUNNING: running\nSUCCESS: success\nPARTIAL: partial\nFAILED: failed\nCANCELLED: cancelled",
                        enum_type=ExecutionStatus,
                        max_length=16,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("started_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("finished_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("duration_ms", fields.IntField(null=True)),
                (
                    "counters",
                    fields.JSONField(
                        default=dict, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("log_excerpt", fields.TextField(null=True, unique=False)),
                ("error", fields.TextField(null=True, unique=False)),
                ("triggered_by", fields.CharField(max_length=64)),
                (
                    "retry_of",
                    fields.ForeignKeyField(
                        "opcms.TaskExecution",
                        source_field="retry_of_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="retries",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
            ],
            options={"table": "task_execution", "app": "opcms", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="UsageMetric",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ("created_by", fields.CharField(null=True, max_length=64)),
                ("updated_by", fields.CharField(null=True, max_length=64)),
                ("is_deleted", fields.BooleanField(default=False, db_index=True)),
                ("deleted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("deleted_by", fields.CharField(null=True, max_length=64)),
                ("code", fields.CharField(unique=True, max_length=32)),
                ("name", fields.CharField(max_length=64)),
                ("unit", fields.CharField(max_length=16)),
                ("is_active", fields.BooleanField(default=True)),
            ],
            options={
                "table": "usage_metric",
                "app": "opcms",
                "pk_attr": "id",
                "table_description": "Something metered and sold, e.g. ``api_calls`` counted in 次.",
            },
            bases=["AuditedModel"],
        ),
        ops.CreateModel(
            name="PricingPlan",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ("created_by", fields.CharField(null=True, max_length=64)),
                ("updated_by", fields.CharField(null=True, max_length=64)),
                ("is_deleted", fields.BooleanField(default=False, db_index=True)),
                ("deleted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("deleted_by", fields.CharField(null=True, max_length=64)),
                ("code", fields.CharField(unique=True, max_length=32)),
                ("name", fields.CharField(max_length=100)),
                (
                    "metric",
                    fields.ForeignKeyField(
                        "opcms.UsageMetric",
                        source_field="metric_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="plans",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("currency", fields.CharField(default="CNY", max_length=3)),
                ("description", fields.CharField(null=True, max_length=255)),
            ],
            options={
                "table": "pricing_plan",
                "app": "opcms",
                "pk_attr": "id",
                "table_description": "A named price list for one metric, whose terms are on its versions.",
            },
            bases=["AuditedModel"],
        ),
        ops.CreateModel(
            name="PricingPlanVersion",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ("created_by", fields.CharField(null=True, max_length=64)),
                ("updated_by", fields.CharField(null=True, max_length=64)),
                ("is_deleted", fields.BooleanField(default=False, db_index=True)),
                ("deleted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("deleted_by", fields.CharField(null=True, max_length=64)),
                (
                    "plan",
                    fields.ForeignKeyField(
                        "opcms.PricingPlan",
                        source_field="plan_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="versions",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("version", fields.IntField()),
                ("effective_from", fields.DateField()),
                ("mode", fields.CharField(max_length=16)),
                ("unit_price", fields.DecimalField(null=True, max_digits=18, decimal_places=6)),
                (
                    "tiers",
                    fields.JSONField(
                        default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("package_size", fields.DecimalField(null=True, max_digits=20, decimal_places=4)),
                ("package_price", fields.DecimalField(null=True, max_digits=18, decimal_places=6)),
                ("monthly_fee", fields.DecimalField(default=0, max_digits=18, decimal_places=2)),
                ("included_quantity", fields.DecimalField(default=0, max_digits=20, decimal_places=4)),
                ("minimum_amount", fields.DecimalField(default=0, max_digits=18, decimal_places=2)),
                ("billed_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "pricing_plan_version",
                "app": "opcms",
                "unique_together": (("plan", "version"), ("plan", "effective_from")),
                "pk_attr": "id",
                "table_description": "The terms of a plan from ``effective_from`` until the next version starts.",
            },
            bases=["AuditedModel"],
        ),
        ops.CreateModel(
            name="Subscription",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ("created_by", fields.CharField(null=True, max_length=64)),
                ("updated_by", fields.CharField(null=True, max_length=64)),
                ("is_deleted", fields.BooleanField(default=False, db_index=True)),
                ("deleted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("deleted_by", fields.CharField(null=True, max_length=64)),
                (
                    "customer",
                    fields.ForeignKeyField(
                        "opcms.Customer",
                        source_field="customer_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="subscriptions",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "metric",
                    fields.ForeignKeyField(
                        "opcms.UsageMetric",
                        source_field="metric_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="subscriptions",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "plan",
                    fields.ForeignKeyField(
                        "opcms.PricingPlan",
                        source_field="plan_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="subscriptions",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("effective_from", fields.DateField()),
                ("effective_to", fields.DateField(null=True)),
                ("discount_percent", fields.DecimalField(default=0, max_digits=5, decimal_places=2)),
                ("remark", fields.CharField(null=True, max_length=255)),
            ],
            options={
                "table": "subscription",
                "app": "opcms",
                "indexes": [Index(fields=["customer_id", "metric_id", "effective_from"])],
                "pk_attr": "id",
                "table_description": "A customer buys one metric on one plan between two dates (both inclusive).",
            },
            bases=["AuditedModel"],
        ),
        ops.CreateModel(
            name="UsageAnomaly",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ("created_by", fields.CharField(null=True, max_length=64)),
                ("updated_by", fields.CharField(null=True, max_length=64)),
                ("is_deleted", fields.BooleanField(default=False, db_index=True)),
                ("deleted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("deleted_by", fields.CharField(null=True, max_length=64)),
                (
                    "source",
                    fields.ForeignKeyField(
                        "opcms.DataSource",
                        source_field="source_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="anomalies",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "kind",
                    fields.CharEnumField(
                        description="UNKNOWN_ACCOUNT: unknown_account\nUNKNOWN_METRIC: unknown_metric\nINVALID_QUANTITY: invalid_quantity\nNEGATIVE_QUANTITY: negative_quantity\nDAY_OUTSIDE_REQUEST: day_outside_request\nSPIKE: spike",
                        enum_type=AnomalyKind,
                        max_length=24,
                    ),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        default=AnomalyStatus.OPEN,
                        description="OPEN: open\nACCEPTED: accepted\nCORRECTED: corrected\nREJECTED: rejected",
                        enum_type=AnomalyStatus,
                        max_length=16,
                    ),
                ),
                ("external_account", fields.CharField(max_length=64)),
                ("metric_code", fields.CharField(max_length=64)),
                ("raw_day", fields.CharField(max_length=32)),
                ("raw_quantity", fields.CharField(max_length=64)),
                (
                    "customer",
                    fields.ForeignKeyField(
                        "opcms.Customer",
                        source_field="customer_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="usage_anomalies",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "metric",
                    fields.ForeignKeyField(
                        "opcms.UsageMetric",
                        source_field="metric_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="anomalies",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("usage_day", fields.DateField(null=True)),
                ("quantity", fields.DecimalField(null=True, max_digits=20, decimal_places=4)),
                ("detail", fields.CharField(default="", max_length=255)),
                ("corrected_quantity", fields.DecimalField(null=True, max_digits=20, decimal_places=4)),
                ("resolution_reason", fields.CharField(null=True, max_length=255)),
                ("resolved_by", fields.CharField(null=True, max_length=64)),
                ("resolved_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("execution_id", fields.BigIntField(null=True)),
                ("row_key", fields.CharField(unique=True, max_length=191)),
            ],
            options={
                "table": "usage_anomaly",
                "app": "opcms",
                "indexes": [Index(fields=["status", "kind"])],
                "pk_attr": "id",
                "table_description": "A vendor row held back from billing until an operator accepts, corrects or rejects it.",
            },
            bases=["AuditedModel"],
        ),
        ops.CreateModel(
            name="UsageRecord",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "customer",
                    fields.ForeignKeyField(
                        "opcms.Customer",
                        source_field="customer_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="usage_records",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "metric",
                    fields.ForeignKeyField(
                        "opcms.UsageMetric",
                        source_field="metric_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="usage_records",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("usage_day", fields.DateField()),
                (
                    "source",
                    fields.ForeignKeyField(
                        "opcms.DataSource",
                        source_field="source_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="usage_records",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("quantity", fields.DecimalField(max_digits=20, decimal_places=4)),
                ("is_late", fields.BooleanField(default=False)),
                ("late_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("anomaly_id", fields.BigIntField(null=True)),
                ("execution_id", fields.BigIntField(null=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "usage_record",
                "app": "opcms",
                "unique_together": (("customer", "metric", "usage_day", "source"),),
                "indexes": [Index(fields=["usage_day", "customer_id"])],
                "pk_attr": "id",
                "table_description": "Billable usage of one customer, metric and day as one source reported it.",
            },
            bases=["Model"],
        ),
    ]
