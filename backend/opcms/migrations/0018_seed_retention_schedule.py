"""The daily retention job's schedule (issue 19): uploads, exports and sessions past keeping are
removed at 03:30 business time, after the nightly pull and the account automation."""

from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("opcms", "0017_bank_statements")]

    initial = False

    operations = [
        ops.RunSQL(
            [
                "INSERT INTO job_schedule (name, task_name, cron, timezone, is_enabled, parameters, description, "
                "created_at, updated_at, created_by, updated_by, is_deleted) VALUES "
                "('retention-daily', 'jobs.prune_retention', '30 3 * * *', 'Asia/Shanghai', 1, '{}', "
                "'remove uploads, export files and sessions past their retention', "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'system:migration', 'system:migration', 0)"
            ],
            reverse_sql=["DELETE FROM job_schedule WHERE name = 'retention-daily'"],
        ),
    ]
