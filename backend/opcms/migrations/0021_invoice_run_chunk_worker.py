"""Invoice run chunks: the Celery worker that billed each one (which worker did which share of
a run, e.g. after one was lost mid-run)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("opcms", "0020_notification_failover")]

    initial = False

    operations = [
        ops.AddField(
            model_name="InvoiceRunChunk",
            name="worker",
            field=fields.CharField(max_length=155, null=True),
        ),
    ]
