"""Tortoise ORM wiring: one app label (``opcms``) holding every domain's models, one
connection, Tortoise's own migrations in ``opcms/migrations``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from tortoise import Tortoise, connections
from tortoise.functions import Coalesce, Count, Sum
from tortoise.models import Model
from tortoise.queryset import QuerySet

from opcms.core.money import ZERO
from opcms.core.settings import DB_POOL_MAX, Settings, get_settings

ModelT = TypeVar("ModelT", bound=Model)

APP_LABEL = "opcms"

# Every module that defines models. A new domain adds its models module here and runs
# `opcms makemigrations`.
MODEL_MODULES = [
    "opcms.core.audit",
    "opcms.core.idempotency",
    "opcms.auth.models",
    "opcms.customers.models",
    "opcms.imports.models",
    "opcms.jobs.models",
    "opcms.pricing.models",
    "opcms.usage.models",
    "opcms.settlement.models",
    "opcms.billing.models",
    "opcms.notifications.models",
    "opcms.analytics.models",
    "opcms.statements.models",
    "opcms.alerts.models",
]


def tortoise_config(
    database_url: str, *, pool_max: int = DB_POOL_MAX, busy_timeout_seconds: float = 5.0
) -> dict[str, Any]:
    """Tortoise's config for ``database_url``. ``busy_timeout_seconds`` bounds how long a query
    waits for a busy database: for a connection of the MySQL pool (:mod:`opcms.core.db_mysql`),
    for SQLite's write lock (its busy timeout); then it fails as an outage (a 503)."""
    from tortoise.backends.base.config_generator import expand_db_url

    connection: dict[str, Any] = expand_db_url(database_url)
    if database_url.startswith("mysql"):
        connection["engine"] = "opcms.core.db_mysql"
        connection["credentials"].update(
            charset="utf8mb4", maxsize=pool_max, pool_wait_seconds=busy_timeout_seconds
        )
    else:  # a PRAGMA of the connection, in milliseconds
        connection["credentials"]["busy_timeout"] = max(1, round(busy_timeout_seconds * 1000))
    return {
        "connections": {"default": connection},
        "apps": {
            APP_LABEL: {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "opcms.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def config_from_settings(settings: Settings | None = None) -> dict[str, Any]:
    settings = settings or get_settings()
    settings.ensure_dirs()
    return tortoise_config(
        settings.database_url,
        pool_max=settings.db_pool_max,
        busy_timeout_seconds=settings.db_busy_timeout_seconds,
    )


def __getattr__(name: str) -> Any:
    # `TORTOISE_ORM` for Tortoise's own CLI (pyproject [tool.tortoise]); built lazily so that
    # importing this module never reads the environment.
    if name == "TORTOISE_ORM":
        return config_from_settings()
    raise AttributeError(name)


async def init_db(settings: Settings | None = None) -> None:
    # Tortoise 1.x keeps its state in a context variable; the global fallback makes it
    # visible to every task of the process (request handlers, Celery task coroutines).
    await Tortoise.init(config=config_from_settings(settings), _enable_global_fallback=True)


async def close_db() -> None:
    await Tortoise.close_connections()


async def ping_db() -> None:
    await connections.get("default").execute_query("SELECT 1")


def dialect() -> str:
    """``"mysql"`` (MySQL and MariaDB) or ``"sqlite"``: the database behind the connection."""
    name: str = connections.get("default").capabilities.dialect
    return name


def is_sqlite() -> bool:
    return dialect() == "sqlite"


def is_mysql() -> bool:
    return dialect() == "mysql"


def writer_turns(at_once: int) -> contextlib.AbstractAsyncContextManager[object]:
    """What concurrent writers of one process take in turns: on SQLite (one connection) a lock,
    so their transactions stay apart; elsewhere ``at_once`` of them write at a time, each on a
    connection of its own (more statements at once than the database has cores to run them
    make every one of them slower, not more of them done)."""
    return asyncio.Lock() if is_sqlite() else asyncio.Semaphore(at_once)


def statement_of(query: Any) -> tuple[Any, str, list[Any]]:
    """The client a queryset (or its ``values_list``) runs on, and the parameterised SQL it
    would run there: for a read that runs the ORM's SQL inside a larger statement, or without
    the ORM's per-value conversion of what it reads (``core.list_pages``, a statement's matching)."""
    query._choose_db_if_not_chosen()
    query._make_query()
    sql, params = query.query.get_parameterized_sql()
    return query._db, sql, list(params)


async def values_by_key(
    table: str, key: str, value: str, keys: Sequence[Any], *, chunk: int, where: str = ""
) -> dict[Any, Any]:
    """``{key: value}`` of the rows of ``table`` whose ``key`` is one of ``keys`` (and ``where``
    holds, plain SQL), read in IN lists of ``chunk`` keys side by side on the pool's connections.
    For thousands of keys: the ORM's building of IN lists that long costs more than the read."""
    conn = connections.get("default")
    also = f" AND {where}" if where else ""

    async def read(part: Sequence[Any]) -> list[dict[str, Any]]:
        marks = ", ".join([param_mark()] * len(part))
        rows: list[dict[str, Any]] = await conn.execute_query_dict(
            f"SELECT {key}, {value} FROM {table} WHERE {key} IN ({marks}){also}", list(part)
        )
        return rows

    found: dict[Any, Any] = {}
    for rows in await asyncio.gather(*(read(keys[at : at + chunk]) for at in range(0, len(keys), chunk))):
        found.update({row[key]: row[value] for row in rows})
    return found


def param_mark() -> str:
    """The placeholder of a parameter in raw SQL."""
    return "%s" if is_mysql() else "?"


def sql_date(day: dt.date) -> dt.date | str:
    """A date as a raw-SQL parameter: SQLite keeps dates as ISO text and compares them as text."""
    return day if is_mysql() else day.isoformat()


def sql_timestamp(moment: dt.datetime) -> dt.datetime:
    """An aware time as a raw-SQL parameter compared with a DATETIME column (stored in UTC):
    naive UTC on MySQL; on SQLite the aware UTC time, which is written as the columns are."""
    utc = moment.astimezone(dt.UTC)
    return utc.replace(tzinfo=None) if is_mysql() else utc


def straight_join() -> str:
    """The join keyword that makes the left table drive the join on MySQL (``STRAIGHT_JOIN``),
    whatever the optimizer's statistics say; a plain ``JOIN`` elsewhere."""
    return "STRAIGHT_JOIN" if is_mysql() else "JOIN"


def money_sum_sql(column: str) -> str:
    """SQL for an exact Σ of a DECIMAL(…, 2) column; read the result with :func:`money_of_sum`.

    SQLite would sum DECIMAL text as floats: there the sum is of whole cents, as integers."""
    return decimal_sum_sql(column, 2)


def money_of_sum(value: Any) -> Decimal:
    """The amount a :func:`money_sum_sql` column holds (0.00 for the NULL of no rows)."""
    return decimal_of_sum(value, 2)


def decimal_sum_sql(column: str, places: int) -> str:
    """SQL for an exact Σ of a DECIMAL(…, ``places``) column (quantities have 4); read it with
    :func:`decimal_of_sum`. On SQLite the sum is of whole units of the last place, as integers."""
    if is_mysql():
        return f"SUM({column})"
    return f"SUM(CAST(ROUND({column} * {10**places}) AS INTEGER))"


def decimal_of_sum(value: Any, places: int) -> Decimal:
    """The value a :func:`decimal_sum_sql` column holds, with ``places`` decimals (0 for NULL)."""
    unit = Decimal(1).scaleb(-places)
    if value is None:
        return Decimal(0).quantize(unit)
    return (Decimal(str(value)) if is_mysql() else Decimal(int(value)) * unit).quantize(unit)


def month_sql(column: str) -> str:
    """The ``YYYY-MM`` of a DATE column, in SQL: both dialects take the first seven characters of
    its ISO text (MySQL converts the date to text for SUBSTR)."""
    return f"SUBSTR({column}, 1, 7)"


def days_between_sql(later: str, earlier: str) -> str:
    """Whole days from the date ``earlier`` to the date ``later`` (SQL expressions)."""
    if is_mysql():
        return f"DATEDIFF({later}, {earlier})"
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


def local_date_sql(timestamp: str, tz: dt.tzinfo) -> str:
    """The business-time-zone date of a UTC timestamp column. The zone's offset now is used:
    the business zone (Asia/Shanghai) keeps one offset all year."""
    offset = dt.datetime.now(tz).utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if is_mysql():
        return f"DATE(DATE_ADD({timestamp}, INTERVAL {minutes} MINUTE))"
    return f"date({timestamp}, '{minutes:+d} minutes')"


def number_sql(column: str) -> str:
    """SQL comparing a DECIMAL column as a number (SQLite keeps it as text)."""
    return column if is_mysql() else f"CAST({column} AS NUMERIC)"


async def sum_of(queryset: Any, column: str) -> Decimal:
    """Σ of a DECIMAL column over the rows of ``queryset``, exact on every database; 0.00 when
    there are none.

    MySQL sums in SQL. SQLite keeps DECIMAL as text and would sum it as floats, so there the
    values are read and summed in Decimal (the embedded default holds little data)."""
    if is_sqlite():
        values = await queryset.values_list(column, flat=True)
        return sum((Decimal(str(v)) for v in values), ZERO)
    [total] = await queryset.annotate(total_of_column=Coalesce(Sum(column), 0)).values_list(
        "total_of_column", flat=True
    )
    return ZERO + Decimal(str(total))


async def sums_by(key: str, value: str, from_where: str, params: list[Any]) -> dict[Any, Decimal]:
    """Σ ``value`` per ``key`` (SQL expressions) over the rows of ``from_where`` (``FROM …
    WHERE …`` with :func:`param_mark` placeholders), exact on every database.

    One GROUP BY on MySQL. SQLite would sum DECIMAL text as floats: there the rows are read
    and summed in Decimal (the embedded default holds little data)."""
    conn = connections.get("default")
    if is_mysql():
        rows = await conn.execute_query_dict(
            f"SELECT {key} AS sum_key, SUM({value}) AS sum_value {from_where} GROUP BY {key}", params
        )
        return {row["sum_key"]: Decimal(row["sum_value"]) for row in rows}
    totals: dict[Any, Decimal] = defaultdict(Decimal)
    for row in await conn.execute_query_dict(
        f"SELECT {key} AS sum_key, {value} AS sum_value {from_where}", params
    ):
        totals[row["sum_key"]] += Decimal(str(row["sum_value"]))
    return dict(totals)


@dataclass(frozen=True)
class UpsertSpelling:
    """How a dialect (``"mysql"`` or ``"sqlite"``) spells an INSERT that updates the row already
    holding its unique key: MySQL's ``ON DUPLICATE KEY UPDATE`` or SQLite's ``ON CONFLICT``."""

    dialect: str

    @property
    def mysql(self) -> bool:
        return self.dialect == "mysql"

    def name(self, column: str) -> str:
        """The column as quoted; in an assignment, the row's current value."""
        return f"`{column}`" if self.mysql else f'"{column}"'

    def incoming(self, column: str) -> str:
        """The value the INSERT brought for ``column``."""
        return f"VALUES({self.name(column)})" if self.mysql else f"excluded.{self.name(column)}"

    def choose(self, condition: str, then: str, otherwise: str) -> str:
        if self.mysql:
            return f"IF({condition}, {then}, {otherwise})"
        return f"CASE WHEN {condition} THEN {then} ELSE {otherwise} END"

    def statement(
        self, table: str, columns: Sequence[str], key: Sequence[str], assignments: dict[str, str]
    ) -> str:
        """INSERT of ``columns``, one row of parameters; on a row holding ``key`` already, the
        ``assignments`` (column → SQL) in their order (MySQL applies them left to right)."""
        names = ", ".join(self.name(c) for c in columns)
        marks = ", ".join(["%s" if self.mysql else "?"] * len(columns))
        updates = ", ".join(f"{self.name(c)} = {sql}" for c, sql in assignments.items())
        if self.mysql:
            return f"INSERT INTO `{table}` ({names}) VALUES ({marks}) ON DUPLICATE KEY UPDATE {updates}"
        conflict = ", ".join(self.name(c) for c in key)
        return f'INSERT INTO "{table}" ({names}) VALUES ({marks}) ON CONFLICT ({conflict}) DO UPDATE SET {updates}'


async def insert_rows(
    model: type[Model], rows: list[dict[str, Any]], *, json_columns: tuple[str, ...] = ()
) -> None:
    """Write plain rows of ``model`` in bulk, inside the caller's transaction (no audit, no
    signals: for hot paths that write their own audit rows).

    On MySQL one multi-row INSERT statement (ORM objects cost more than the SQL there); on
    SQLite the ORM's bulk create."""
    if not rows:
        return
    if not is_mysql():
        await model.bulk_create([model(**row) for row in rows])
        return
    columns = list(rows[0])
    sql = (
        f"INSERT INTO `{model._meta.db_table}` ({', '.join(f'`{c}`' for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    values = [
        [
            json.dumps(row[c], ensure_ascii=False) if c in json_columns and row[c] is not None else row[c]
            for c in columns
        ]
        for row in rows
    ]
    # inside in_transaction() the context's "default" connection is the transaction's
    await connections.get("default").execute_many(sql, values)


def as_numbers(queryset: QuerySet[ModelT], *columns: str) -> tuple[QuerySet[ModelT], dict[str, str]]:
    """Money columns made sortable as numbers on every database.

    Tortoise keeps DECIMAL columns as text on SQLite. Its filters cast them (``CAST(… AS
    NUMERIC) < ?``), but ORDER BY sorts the text, where "100.00" comes before "20.00": there the
    columns are annotated as ``CAST(… AS NUMERIC)`` to sort on. Returns the queryset and, per
    column, the name to sort on.
    """
    if not is_sqlite():
        return queryset, {column: column for column in columns}
    from tortoise.expressions import RawSQL

    table = queryset.model._meta.db_table
    names = {column: f"{column}_number" for column in columns}
    return queryset.annotate(
        **{names[c]: RawSQL(f'CAST("{table}"."{c}" AS NUMERIC)') for c in columns}
    ), names


async def counts_by(query: QuerySet[Any], *fields: str) -> list[tuple[Any, ...]]:
    """How many rows of ``query`` each combination of ``fields`` has: ``(values…, count)`` rows,
    one GROUP BY statement."""
    rows = await query.annotate(row_count=Count("id")).group_by(*fields).values_list(*fields, "row_count")
    return [tuple(row) for row in rows]
