"""An allocation made from a reconciliation suggestion says so: source ``suggestion``.

The column grows from VARCHAR(8) to VARCHAR(16) on MySQL (``suggestion`` has 10 characters);
SQLite keeps its column (it does not look at the length).
"""

import enum

from tortoise import fields, migrations

from opcms.core.migration_ops import AlterFieldOnMySQL


# The choices as this migration wrote them, frozen here: a later change to the live enum
# in the models must not rewrite what this migration did.
class AllocationSource(str, enum.Enum):
    MANUAL = "manual"
    AUTO = "auto"
    SUGGESTION = "suggestion"


class Migration(migrations.Migration):
    dependencies = [("opcms", "0014_dictionary_label_translations")]

    initial = False

    operations = [
        AlterFieldOnMySQL(
            model_name="Allocation",
            name="source",
            field=fields.CharEnumField(
                default=AllocationSource.MANUAL,
                description="MANUAL: manual\nAUTO: auto\nSUGGESTION: suggestion",
                enum_type=AllocationSource,
                max_length=16,
            ),
        ),
    ]
