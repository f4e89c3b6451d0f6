"""The busy lists read from composite indexes (issue 17): placeholder, filled by the list work."""

from tortoise import migrations


class Migration(migrations.Migration):
    dependencies = [("opcms", "0015_allocation_source_suggestion")]

    initial = False

    operations: list = []
