"""Users: a one-time password the user must change at next login."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("opcms", "0012_audit_log_indexes")]

    initial = False

    operations = [
        ops.AddField(
            model_name="User",
            name="must_change_password",
            field=fields.BooleanField(default=False),
        ),
    ]
