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
