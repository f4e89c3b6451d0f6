"""The audit log read fast on a million rows: indexes for its filters.

The log is read newest first by (occurred_at, id), a page after a cursor (keyset). Each filter
gets an index that starts with its columns and goes on with ``occurred_at`` (InnoDB appends the
primary key), so the filter, a time range and the order come from one index range with no sort:
entity (type and id), entity type, actor, action and request id; the time alone keeps its own
index on ``occurred_at``. The single-column indexes on ``actor`` and ``action`` and the one on
(entity_type, entity_id) are covered by the new ones (same leading columns) and are dropped, so
every audited write keeps updating six secondary indexes, not eight.
"""

from typing import Any

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from opcms.core.migration_ops import AlterFieldStateOnly

NEW_INDEXES = (
    ["entity_type", "entity_id", "occurred_at"],
    ["entity_type", "occurred_at"],
    ["actor", "occurred_at"],
    ["action", "occurred_at"],
    ["request_id", "occurred_at"],
)
SINGLE_COLUMN_INDEXES = ("actor", "action")


async def _drop_single_column_indexes(apps: Any, editor: Any) -> None:
    # the indexes db_index=True made on actor and action: named as the schema editor names them
    model = apps.get_model("opcms.AuditLog")
    for column in SINGLE_COLUMN_INDEXES:
        name = editor._generate_index_name("idx", model, [column])
        await editor._run_sql(editor._drop_index_sql(model, name))


async def _restore_single_column_indexes(apps: Any, editor: Any) -> None:
    model = apps.get_model("opcms.AuditLog")
    for column in SINGLE_COLUMN_INDEXES:
        await editor.add_index(model, Index(fields=[column]))


class Migration(migrations.Migration):
    dependencies = [("opcms", "0011_analytics")]

    initial = False

    operations = [
        *(ops.AddIndex(model_name="AuditLog", index=Index(fields=columns)) for columns in NEW_INDEXES),
        ops.RemoveIndex(model_name="AuditLog", fields=["entity_type", "entity_id"]),
        ops.RunPython(_drop_single_column_indexes, _restore_single_column_indexes),
        AlterFieldStateOnly(model_name="AuditLog", name="actor", field=fields.CharField(max_length=64)),
        AlterFieldStateOnly(model_name="AuditLog", name="action", field=fields.CharField(max_length=32)),
    ]
