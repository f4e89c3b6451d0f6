"""Bulk upsert of usage records: multi-row statements in batches, never row by row.

The unique key (customer, metric, usage_day, source) makes a re-pull an update. A row whose
quantity changes keeps its id and gets the pull's execution id and time; a row written into
an invoiced period is flagged late when it is new or its quantity changed (DESIGN §6).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from opcms.core.models import utcnow
from opcms.core.periods import period_of
from opcms.usage.late import invoiced_pairs

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


@dataclass(frozen=True, slots=True)
class CleanUsage:
    customer_id: int
    metric_id: int
    usage_day: dt.date
    quantity: Decimal  # at most 4 decimals, ≥ 0
    anomaly_id: int | None = None

    @property
    def key(self) -> tuple[int, int, dt.date]:
        return (self.customer_id, self.metric_id, self.usage_day)


def upsert_sql(dialect: str) -> str:
    if dialect == "mysql":
        names = ", ".join(f"`{c}`" for c in COLUMNS)
        marks = ", ".join(["%s"] * len(COLUMNS))
        changed = "`quantity` <> VALUES(`quantity`)"
        # MySQL applies the assignments left to right: quantity must be the last one
        return (
            f"INSERT INTO `usage_record` ({names}) VALUES ({marks}) ON DUPLICATE KEY UPDATE "
            f"`is_late` = IF({changed} AND VALUES(`is_late`), 1, `is_late`), "
            f"`late_at` = IF({changed} AND VALUES(`is_late`), VALUES(`late_at`), `late_at`), "
            f"`execution_id` = IF({changed}, VALUES(`execution_id`), `execution_id`), "
            f"`updated_at` = IF({changed}, VALUES(`updated_at`), `updated_at`), "
            f"`anomaly_id` = VALUES(`anomaly_id`), "
            f"`quantity` = VALUES(`quantity`)"
        )
    names = ", ".join(f'"{c}"' for c in COLUMNS)
    marks = ", ".join(["?"] * len(COLUMNS))
    # SQLite keeps DECIMAL as text: every quantity is written with exactly 4 decimals, so equal
    # numbers are equal strings (a float comparison would lose digits)
    changed = '"quantity" <> excluded."quantity"'
    return (
        f'INSERT INTO "usage_record" ({names}) VALUES ({marks}) '
        f'ON CONFLICT ("customer_id", "metric_id", "usage_day", "source_id") DO UPDATE SET '
        f'"is_late" = CASE WHEN ({changed}) AND excluded."is_late" THEN 1 ELSE "is_late" END, '
        f'"late_at" = CASE WHEN ({changed}) AND excluded."is_late" THEN excluded."late_at" ELSE "late_at" END, '
        f'"execution_id" = CASE WHEN ({changed}) THEN excluded."execution_id" ELSE "execution_id" END, '
        f'"updated_at" = CASE WHEN ({changed}) THEN excluded."updated_at" ELSE "updated_at" END, '
        f'"anomaly_id" = excluded."anomaly_id", '
        f'"quantity" = excluded."quantity"'
    )


async def upsert_usage(
    records: list[CleanUsage],
    *,
    source_id: int,
    execution_id: int | None,
    batch_rows: int = 1000,
    conn: BaseDBAsyncClient | None = None,
) -> int:
    """Write ``records`` (the last one wins for a repeated key); returns how many were sent."""
    if not records:
        return 0
    unique = list({r.key: r for r in records}.values())
    invoiced = await invoiced_pairs((r.customer_id, r.usage_day) for r in unique)
    conn = conn or connections.get("default")
    sql = upsert_sql(conn.capabilities.dialect)
    now = utcnow()
    mysql = conn.capabilities.dialect == "mysql"
    rows = []
    for r in unique:
        late = (r.customer_id, period_of(r.usage_day)) in invoiced
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
        await conn.execute_many(sql, rows[start : start + batch_rows])
    return len(rows)
