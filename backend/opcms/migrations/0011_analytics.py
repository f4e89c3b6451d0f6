"""Analytics (issue 14): the nightly customer scores with their history, the latest scores on the
customer row, an index for what was invoiced in a date range, and the scoring job's schedule
(05:00 business time, after the usage pull at 02:00 and the account automation at 03:00)."""

import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("opcms", "0010_seed_notification_templates")]

    initial = False

    operations = [
        ops.CreateModel(
            name="CustomerScore",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "customer",
                    fields.ForeignKeyField(
                        "opcms.Customer",
                        source_field="customer_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="scores",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("score_day", fields.DateField()),
                ("value_tier", fields.CharField(max_length=1)),
                ("trailing_invoiced", fields.DecimalField(max_digits=18, decimal_places=2)),
                ("lifecycle", fields.CharField(max_length=16)),
                ("churn_score", fields.IntField()),
                ("churn_level", fields.CharField(max_length=8)),
                (
                    "churn_reasons",
                    fields.JSONField(
                        default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("credit_score", fields.IntField()),
                (
                    "credit_factors",
                    fields.JSONField(
                        default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("computed_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("execution_id", fields.BigIntField(null=True)),
            ],
            options={
                "table": "customer_score",
                "app": "opcms",
                "unique_together": (("customer", "score_day"),),
                "indexes": [Index(fields=["score_day", "churn_level"])],
                "pk_attr": "id",
                "table_description": "What the scoring job concluded about one customer on one day, with its reasons.",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="Customer",
            name="churn_level",
            field=fields.CharField(null=True, db_index=True, max_length=8),
        ),
        ops.AddField(
            model_name="Customer",
            name="churn_score",
            field=fields.IntField(null=True, db_index=True),
        ),
        ops.AddField(
            model_name="Customer",
            name="credit_score",
            field=fields.IntField(null=True, db_index=True),
        ),
        ops.AddField(
            model_name="Customer",
            name="lifecycle",
            field=fields.CharField(null=True, db_index=True, max_length=16),
        ),
        ops.AddField(
            model_name="Customer",
            name="scored_on",
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name="Customer",
            name="value_tier",
            field=fields.CharField(null=True, db_index=True, max_length=1),
        ),
        ops.AddIndex(
            model_name="Invoice",
            index=Index(fields=["issue_date", "customer_id"]),
        ),
        ops.RunSQL(
            [
                "INSERT INTO job_schedule (name, task_name, cron, timezone, is_enabled, parameters, description, "
                "created_at, updated_at, created_by, updated_by, is_deleted) VALUES "
                "('customer-scores-daily', 'analytics.score_customers', '0 5 * * *', 'Asia/Shanghai', 1, '{}', "
                "'customer scores: value tier, lifecycle, churn warning and credit score', "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'system:migration', 'system:migration', 0)"
            ],
            reverse_sql=["DELETE FROM job_schedule WHERE name = 'customer-scores-daily'"],
        ),
    ]
