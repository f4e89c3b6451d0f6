"""Bulk upsert of usage records: multi-row statements in batches, never row by row.

The unique key (customer, metric, usage_day, source) makes a re-pull an update. A row whose
quantity changes keeps its id and gets the pull's execution id and time; a row written into
an invoiced period is flagged late when it is new or its quantity changed (DESIGN §6).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from opcms.core.db import UpsertSpelling
from opcms.core.models import utcnow
from opcms.core.periods import period_of
from opcms.usage.late import Invoiced, invoiced_pairs

QUANTUM = Decimal("0.0001")
COLUMNS = (
    "customer_id",
    "metric_id",
    "usage_day",
    "source_id",
    "quantity",
    "is_late",
    "late_at",
    "anomaly_id",
    "execution_id",
    "created_at",
    "updated_at",
)
KEY = ("customer_id", "metric_id", "usage_day", "source_id")


class CleanUsage(NamedTuple):
    """One row to store (a named tuple: a pull makes one per row, cheaper than a dataclass)."""

    customer_id: int
    metric_id: int
    usage_day: dt.date
    quantity: Decimal  # at most 4 decimals, ≥ 0
    anomaly_id: int | None = None

    @property
    def key(self) -> tuple[int, int, dt.date]:
        return (self.customer_id, self.metric_id, self.usage_day)


def upsert_sql(dialect: str) -> str:
    sql = UpsertSpelling(dialect)
    quantity = sql.name("quantity")
    # SQLite keeps DECIMAL as text: every quantity is written with exactly 4 decimals, so equal
    # numbers are equal strings (a float comparison would lose digits)
    changed = f"{quantity} <> {sql.incoming('quantity')}"
    late = f"{changed} AND {sql.incoming('is_late')}"
    # MySQL applies the assignments left to right: quantity must be the last one
    assignments = {
        "is_late": sql.choose(late, "1", sql.name("is_late")),
        "late_at": sql.choose(late, sql.incoming("late_at"), sql.name("late_at")),
        "execution_id": sql.choose(changed, sql.incoming("execution_id"), sql.name("execution_id")),
        "updated_at": sql.choose(changed, sql.incoming("updated_at"), sql.name("updated_at")),
        "anomaly_id": sql.incoming("anomaly_id"),
        "quantity": sql.incoming("quantity"),
    }
    return sql.statement("usage_record", COLUMNS, KEY, assignments)


async def upsert_usage(
    records: list[CleanUsage],
    *,
    source_id: int,
    execution_id: int | None,
    batch_rows: int = 1000,
    conn: BaseDBAsyncClient | None = None,
    invoiced: Invoiced | None = None,
) -> int:
    """Write ``records`` (the last one wins for a repeated key); returns how many were sent.
    ``invoiced``: a lookup of invoiced periods made ahead (those it covers are not asked again).

    On MySQL each batch is one multi-row statement: outside a transaction (``conn`` None) a
    batch is written, and committed, in one round trip."""
    if not records:
        return 0
    unique = list({(r.customer_id, r.metric_id, r.usage_day): r for r in records}.values())
    late_pairs = await invoiced_pairs(((r.customer_id, r.usage_day) for r in unique), known=invoiced)
    conn = conn or connections.get("default")
    mysql = conn.capabilities.dialect == "mysql"
    sql = upsert_sql(conn.capabilities.dialect)
    now = utcnow()
    rows = []
    for r in unique:
        late = bool(late_pairs) and (r.customer_id, period_of(r.usage_day)) in late_pairs
        quantity = r.quantity.quantize(QUANTUM)
        rows.append(
            [
                r.customer_id,
                r.metric_id,
                r.usage_day,
                source_id,
                quantity if mysql else str(quantity),
                late,
                now if late else None,
                r.anomaly_id,
                execution_id,
                now,
                now,
            ]
        )
    for start in range(0, len(rows), batch_rows):
        batch = rows[start : start + batch_rows]
        if mysql:
            await conn.execute_query(_multi_row(sql, len(batch)), [value for row in batch for value in row])
        else:
            await conn.execute_many(sql, batch)
    return len(rows)


_ROW_MARKS = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"


def _multi_row(sql: str, rows: int) -> str:
    """The one-row MySQL upsert ``sql`` with ``rows`` rows of parameters."""
    return sql.replace(f"VALUES {_ROW_MARKS}", "VALUES " + ", ".join([_ROW_MARKS] * rows), 1)
