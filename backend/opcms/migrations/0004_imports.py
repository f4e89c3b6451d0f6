import enum
import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


# The choices as this migration wrote them, frozen here: a later change to the live enum
# in the models must not rewrite what this migration did.
class ImportMode(str, enum.Enum):
    VALIDATE = "validate"
    CREATE = "create"
    UPSERT = "upsert"


class ImportStage(str, enum.Enum):
    QUEUED = "queued"
    READING = "reading"
    WRITING = "writing"
    DONE = "done"


class ImportStatus(str, enum.Enum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Migration(migrations.Migration):
    dependencies = [("opcms", "0003_seed_dictionaries")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ImportJob",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("created_at", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ("started_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("finished_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("created_by", fields.CharField(max_length=64)),
                ("created_by_user_id", fields.BigIntField(null=True)),
                ("request_id", fields.CharField(null=True, max_length=64)),
                ("client_ip", fields.CharField(null=True, max_length=45)),
                ("file_name", fields.CharField(max_length=255)),
                ("file_size", fields.BigIntField(default=0)),
                ("file_sha256", fields.CharField(max_length=64)),
                ("stored_name", fields.CharField(max_length=100)),
                (
                    "mode",
                    fields.CharEnumField(
                        description="VALIDATE: validate\nCREATE: create\nUPSERT: upsert",
                        enum_type=ImportMode,
                        max_length=16,
                    ),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        default=ImportStatus.PENDING,
                        db_index=True,
                        description="PENDING: pending\nRUNNING: running\nSUCCEEDED: succeeded\nFAILED: failed",
                        enum_type=ImportStatus,
                        max_length=16,
                    ),
                ),
                (
                    "stage",
                    fields.CharEnumField(
                        default=ImportStage.QUEUED,
                        description="QUEUED: queued\nREADING: reading\nWRITING: writing\nDONE: done",
                        enum_type=ImportStage,
                        max_length=16,
                    ),
                ),
                ("background", fields.BooleanField(default=False)),
                ("total", fields.IntField(default=0)),
                ("processed", fields.IntField(default=0)),
                ("written", fields.IntField(default=0)),
                ("created", fields.IntField(default=0)),
                ("updated", fields.IntField(default=0)),
                ("unchanged", fields.IntField(default=0)),
                ("skipped_blank", fields.IntField(default=0)),
                ("failed", fields.IntField(default=0)),
                ("header_row", fields.IntField(null=True)),
                (
                    "ignored_columns",
                    fields.JSONField(
                        default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("error_code", fields.CharField(null=True, max_length=64)),
                ("error_message", fields.TextField(null=True, unique=False)),
            ],
            options={"table": "import_job", "app": "opcms", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ImportRowError",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "job",
                    fields.ForeignKeyField(
                        "opcms.ImportJob",
                        source_field="job_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="row_errors",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("row", fields.IntField()),
                ("column_name", fields.CharField(max_length=255)),
                ("value", fields.TextField(null=True, unique=False)),
                ("reason", fields.CharField(max_length=500)),
            ],
            options={
                "table": "import_row_error",
                "app": "opcms",
                "pk_attr": "id",
                "table_description": "One problem of one row: the Excel row number, the column as headed in the file, why.",
            },
            bases=["Model"],
        ),
    ]
