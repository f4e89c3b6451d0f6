"""Bulk upsert of usage records: multi-row statements in batches, never row by row.

The unique key (customer, metric, usage_day, source) makes a re-pull an update. A row whose
quantity changes keeps its id and gets the pull's execution id and time; a row written into
an invoiced period is flagged late when it is new or its quantity changed (DESIGN §6).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

from asyncmy.converters import escape_datetime
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
    unique = list({r[:3]: r for r in records}.values())  # (customer_id, metric_id, usage_day)
    customers_by_day: dict[dt.date, set[int]] = {}
    for r in unique:
        customers = customers_by_day.get(r.usage_day)
        if customers is None:
            customers = customers_by_day[r.usage_day] = set()
        customers.add(r.customer_id)
    late_pairs = await invoiced_pairs(customers_by_day, known=invoiced)
    conn = conn or connections.get("default")
    sql = upsert_sql(conn.capabilities.dialect)
    now = utcnow()
    if conn.capabilities.dialect == "mysql":
        head, tail = sql.split(f"VALUES {_ROW_MARKS}", 1)
        texts = values_texts(unique, source_id, execution_id, now, late_pairs)
        for start in range(0, len(texts), batch_rows):
            await conn.execute_query(f"{head}VALUES {', '.join(texts[start : start + batch_rows])}{tail}")
        return len(texts)
    rows = []
    for r in unique:
        late = bool(late_pairs) and (r.customer_id, period_of(r.usage_day)) in late_pairs
        rows.append(
            [
                r.customer_id,
                r.metric_id,
                r.usage_day,
                source_id,
                str(r.quantity.quantize(QUANTUM)),
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


def values_texts(
    records: list[CleanUsage],
    source_id: int,
    execution_id: int | None,
    now: dt.datetime,
    late_pairs: set[tuple[int, str]],
) -> list[str]:
    """The rows of a multi-row ``VALUES`` as text, one per record (MySQL).

    Written here, not escaped value by value by the driver: every value is an int, a date, a
    Decimal, a flag, NULL or the pull's time, each with one fixed safe text (``int_text``,
    ``date_text``, ``quantity_text``; anything else is refused with a TypeError) — the text the
    driver would have sent, without its per-value work. What the rows of a day share (the day
    and the source; the flags, the execution and the times of a row neither late nor reviewed)
    is written once."""
    now_text = escape_datetime(now)
    source_text, execution_text = int_text(source_id), int_text(execution_id)
    # after the quantity: is_late, late_at, anomaly_id, execution_id, created_at, updated_at
    plain_tail = f", 0, NULL, NULL, {execution_text}, {now_text}, {now_text})"
    day_texts: dict[dt.date, str] = {}  # a day → its text and the source's
    texts = []
    for customer_id, metric_id, usage_day, quantity, anomaly_id in records:
        if type(customer_id) is not int or type(metric_id) is not int:
            raise TypeError(
                f"an id must be an int, not {type(customer_id).__name__}/{type(metric_id).__name__}"
            )
        day_text = day_texts.get(usage_day)
        if day_text is None:
            # (a datetime is never equal to a date key: it reaches date_text, which refuses it)
            day_text = day_texts[usage_day] = f"{date_text(usage_day)}, {source_text}, "
        if type(quantity) is not Decimal or not quantity.is_finite():
            raise TypeError(f"a quantity must be a finite Decimal, not {quantity!r}")
        if anomaly_id is None and not (late_pairs and (customer_id, period_of(usage_day)) in late_pairs):
            texts.append(
                f"({customer_id}, {metric_id}, {day_text}{format(quantity.quantize(QUANTUM), 'f')}{plain_tail}"
            )
            continue
        late = bool(late_pairs) and (customer_id, period_of(usage_day)) in late_pairs
        texts.append(
            f"({customer_id}, {metric_id}, {day_text}{quantity_text(quantity)}, {1 if late else 0}, "
            f"{now_text if late else 'NULL'}, {int_text(anomaly_id)}, {execution_text}, {now_text}, {now_text})"
        )
    return texts


def int_text(value: int | None) -> str:
    """An id as SQL text: digits (``NULL`` for None); anything but an int is refused."""
    if value is None:
        return "NULL"
    if type(value) is not int:
        raise TypeError(f"an id must be an int, not {type(value).__name__}")
    return str(value)


def date_text(value: dt.date) -> str:
    """A day as SQL text: ``'YYYY-MM-DD'`` (a datetime is refused: the column is a DATE)."""
    if type(value) is not dt.date:
        raise TypeError(f"a usage day must be a date, not {type(value).__name__}")
    return f"'{value.year:04}-{value.month:02}-{value.day:02}'"


def quantity_text(value: Decimal) -> str:
    """A quantity as SQL text with exactly 4 decimals, never in exponent form (1E+3 is
    ``1000.0000``): only digits, a point and perhaps a leading minus sign."""
    if type(value) is not Decimal or not value.is_finite():
        raise TypeError(f"a quantity must be a finite Decimal, not {value!r}")
    return format(value.quantize(QUANTUM), "f")


_ROW_MARKS = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
