"""Seed the job schedules of DESIGN §6, §7, §3 and §9 (issue 7); admins edit them afterwards.

Times are in Asia/Shanghai, the business time zone. ``next_run_at`` is left empty: Beat works
it out from the cron expression the first time it reads the row.
"""

import json

from tortoise import migrations
from tortoise.migrations import operations as ops

SCHEDULES = [
    (
        "usage-pull-nightly",
        "usage.pull_day",
        "0 2 * * *",
        {},
        "yesterday's usage from every enabled data source",
    ),
    (
        "account-automation-daily",
        "customers.account_automation",
        "0 3 * * *",
        {},
        "suspend customers with an invoice overdue too long, reactivate those settled",
    ),
    (
        "invoice-run-monthly",
        "billing.run_period",
        "0 4 1 * *",
        {},
        "last month's invoices, after the pull of its last day",
    ),
    (
        "overdue-reminders-daily",
        "reminders.send_overdue",
        "0 9 * * *",
        {"stages": [-3, 1, 7, 15, 30]},
        "overdue reminders: stages in days relative to the due date",
    ),
]


def _row(name: str, task: str, cron: str, parameters: dict, description: str) -> str:
    description = description.replace("'", "''")
    return (
        "INSERT INTO job_schedule (name, task_name, cron, timezone, is_enabled, parameters, description, "
        "created_at, updated_at, created_by, updated_by, is_deleted) VALUES "
        f"('{name}', '{task}', '{cron}', 'Asia/Shanghai', 1, '{json.dumps(parameters)}', '{description}', "
        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'system:migration', 'system:migration', 0)"
    )


class Migration(migrations.Migration):
    dependencies = [("opcms", "0008_jobs_notifications")]

    operations = [
        ops.RunSQL(
            [_row(*schedule) for schedule in SCHEDULES],
            reverse_sql=["DELETE FROM job_schedule WHERE created_by = 'system:migration'"],
        ),
    ]
