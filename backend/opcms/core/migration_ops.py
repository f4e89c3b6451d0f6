"""Migration operations of our own, for what Tortoise's do not express."""

from __future__ import annotations

from typing import Any

from tortoise.migrations import operations as ops


class AlterFieldStateOnly(ops.AlterField):
    """An ``AlterField`` whose database column does not change: only the migration state does.

    For a choice field that gains a value: its column stays ``VARCHAR``, only the comment listing
    the values would change, and on SQLite Tortoise applies any ``AlterField`` by rebuilding the
    table — which loses the table's indexes and unique keys. The state still records the new
    field, so ``makemigrations`` does not ask for the change again.
    """

    async def database_forward(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def database_backward(self, *args: Any, **kwargs: Any) -> None:
        return None


class AlterFieldOnMySQL(ops.AlterField):
    """An ``AlterField`` applied to the column on MySQL/MariaDB only; the state changes everywhere.

    For a choice field whose new value is longer than its ``VARCHAR``: MySQL refuses a value
    longer than the column, SQLite does not look at the length (and would rebuild the table,
    losing its indexes and unique keys, for any ``AlterField``).
    """

    async def database_forward(
        self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
    ) -> None:
        if state_editor is not None and state_editor.client.capabilities.dialect == "mysql":
            await super().database_forward(app_label, old_state, new_state, state_editor)

    async def database_backward(
        self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
    ) -> None:
        if state_editor is not None and state_editor.client.capabilities.dialect == "mysql":
            await super().database_backward(app_label, old_state, new_state, state_editor)
