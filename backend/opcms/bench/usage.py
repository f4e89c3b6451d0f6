"""``opcms bench usage``: ingesting usage records against their floor (DESIGN §15).

On a throw-away MariaDB/MySQL database (OPCMS_DATABASE_URL must name one containing "bench"),
with C customers × 2 metrics × 50 days = the requested rows:

- the pipeline: ``pull_usage`` over the 50 days from a ``demo`` data source — the adapter, the
  classification (mapping, metric, day, quantity, spike window), the late-usage lookup and the
  batched upsert, one statement per chunk and day — into the fresh ``usage_record`` (the
  figure: rows/s);
- the floor: the same rows (asked of the same ``demo`` adapter before the pipeline runs,
  outside the clock; checked equal to what the pipeline stored: count, sum and a checksum of
  every key and quantity), in the order the pipeline writes them (day by day, each day's
  chunks side by side: where they land in the table's keys is part of the work), written by
  raw batched ``INSERT … ON DUPLICATE KEY UPDATE`` through the same driver (asyncmy
  ``executemany``, ``OPCMS_USAGE_BATCH_ROWS`` rows a statement) on as many connections as the
  pipeline's pool opened, into a fresh table built like ``usage_record`` (same columns, keys
  and foreign keys), after ``usage_record`` is emptied and the server has had a moment to
  flush what the pipeline left.

Targets: ≥ 50,000 rows/s and ≥ 0.8 of the floor.

Then a one-year back-fill for 1,000 customers: ``pull_usage`` over the first 90 days of a
year, and over the whole year, each into an emptied (truncated, so fresh) ``usage_record``.
Linear in days means the time per day of the year is that of its first 90 days (the spike
window used to rescan every recorded day for every row, so a day cost more the more days
were already pulled). Target: the per-day ratio ≤ 1.25.

The last line printed is one JSON object ``{"bench": "usage", "value", "floor", "ratio",
"unit": "rows/s", …, "lines": [the back-fill, …]}``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
import re
import time
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import asyncmy
from tortoise import Tortoise, connections

from opcms.bench.common import figure, fresh_database, insert_customers
from opcms.core.context import acting_as, system_actor
from opcms.core.models import utcnow
from opcms.core.settings import Settings, get_settings
from opcms.jobs.models import Trigger
from opcms.jobs.recorder import run_execution
from opcms.pricing.models import UsageMetric
from opcms.usage.adapters.contract import SourceConfig
from opcms.usage.adapters.demo import DemoAdapter
from opcms.usage.models import DataSource
from opcms.usage.pull import days_between, pull_usage
from opcms.usage.store import COLUMNS, QUANTUM

TARGET_RATIO = 0.8
TARGET_ROWS_PER_S = 50_000
TARGET_DAY_RATIO = 1.25
METRICS = ("api_calls", "sms")
DAYS = 50
FIRST_DAY = dt.date(2026, 1, 1)
BACKFILL_CUSTOMERS = 1000
BACKFILL_DAYS = (90, 365)
DEMO_SETTINGS = {"metrics": list(METRICS), "base": 1000}
FLOOR_TABLE = "usage_record_floor"


async def _setup(customers: int) -> tuple[int, list[int]]:
    for code in METRICS:
        await UsageMetric.create(code=code, name=code, unit="次")
    source = await DataSource.create(name="bench-demo", adapter="demo", settings=DEMO_SETTINGS)
    conn = connections.get("default")
    now = utcnow()
    batch = 2000
    ids = await insert_customers(conn, customers, now, batch=batch)
    for start in range(0, len(ids), batch):
        values = [
            [cid, source.id, f"acct-{cid}", f"acct-{cid}", now, now, False]
            for cid in ids[start : start + batch]
        ]
        await conn.execute_many(
            "INSERT INTO `customer_source_account` (customer_id, source_id, external_account, account_key, created_at,"
            " updated_at, is_deleted) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            values,
        )
    return source.id, ids


async def _connect(settings: Settings) -> Any:
    parts = urlsplit(settings.database_url)
    return await asyncmy.connect(
        host=parts.hostname,
        port=parts.port or 3306,
        user=parts.username or "root",
        password=parts.password or "",
        db=parts.path.strip("/"),
        autocommit=True,
    )


async def _sql(settings: Settings, *statements: str) -> list[Any]:
    """Run statements on a connection of their own; the last one's rows."""
    conn = await _connect(settings)
    try:
        async with conn.cursor() as cursor:
            for statement in statements:
                await cursor.execute(statement)
            return list(await cursor.fetchall())
    finally:
        conn.close()


async def _expected_rows(source_id: int, customer_ids: list[int], metric_ids: dict[str, int]) -> list[tuple]:
    """The rows the pipeline stores, asked of the same adapter by the same chunks of accounts
    and days (not timed), in the order it writes them: the floor's input."""
    settings = get_settings()
    adapter = DemoAdapter(SourceConfig("bench-demo", "demo", DEMO_SETTINGS, {}))
    customer_of = {f"acct-{cid}": cid for cid in customer_ids}
    accounts = sorted(customer_of)
    size = settings.usage_accounts_per_call
    now = utcnow().replace(tzinfo=None)
    rows: list[tuple] = []
    # in the order the pull writes them: its chunks go through the days side by side
    for day in days_between(FIRST_DAY, FIRST_DAY + dt.timedelta(days=DAYS - 1)):
        for start in range(0, len(accounts), size):
            for usage in await adapter.fetch_usage(accounts[start : start + size], day):
                values = {
                    "customer_id": customer_of[usage.account],
                    "metric_id": metric_ids[usage.metric],
                    "usage_day": day,
                    "source_id": source_id,
                    "quantity": Decimal(usage.quantity).quantize(QUANTUM),
                    "is_late": False,
                    "late_at": None,
                    "anomaly_id": None,
                    "execution_id": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                rows.append(tuple(values[c] for c in COLUMNS))
    return rows


async def _fresh_floor_table(settings: Settings) -> None:
    """``usage_record_floor``, built as ``usage_record`` is (columns, keys, foreign keys)."""
    (_, create), *_ = await _sql(settings, "SHOW CREATE TABLE `usage_record`")
    create = create.replace("CREATE TABLE `usage_record`", f"CREATE TABLE `{FLOOR_TABLE}`", 1)
    create = re.sub(r"CONSTRAINT `([^`]+)`", r"CONSTRAINT `\1_floor`", create)
    create = re.sub(r" AUTO_INCREMENT=\d+", "", create)
    await _sql(settings, "SET sql_notes = 0", f"DROP TABLE IF EXISTS `{FLOOR_TABLE}`", create)


async def _floor(rows: list[tuple], settings: Settings, writers: int) -> float:
    """Raw batched INSERT … ON DUPLICATE KEY UPDATE of ``rows`` on ``writers`` connections at
    once (their share of the batches each), into a fresh table; the seconds it took."""
    await _fresh_floor_table(settings)
    batch_rows = settings.usage_batch_rows
    sql = (
        f"INSERT INTO `{FLOOR_TABLE}` ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"
        " ON DUPLICATE KEY UPDATE quantity = VALUES(quantity), updated_at = VALUES(updated_at)"
    )
    batches = [rows[start : start + batch_rows] for start in range(0, len(rows), batch_rows)]
    conns = [await _connect(settings) for _ in range(writers)]

    async def write(conn: Any, share: list[list[tuple]]) -> None:
        async with conn.cursor() as cursor:
            for batch in share:
                await cursor.executemany(sql, batch)

    try:
        started = time.perf_counter()
        await asyncio.gather(*(write(conn, batches[k::writers]) for k, conn in enumerate(conns)))
        return time.perf_counter() - started
    finally:
        for conn in conns:
            conn.close()


def _checksum_sql(table: str) -> str:
    return (
        f"SELECT COUNT(*), SUM(quantity), BIT_XOR(CRC32(CONCAT_WS(',', customer_id, metric_id, usage_day,"
        f" source_id, quantity))) FROM `{table}`"
    )


async def _settle(settings: Settings, seconds: float = 20.0) -> None:
    """Wait (at most ``seconds``) for the server to flush what the last writer left dirty, so
    the next one does not pay for it."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ((_, dirty),) = await _sql(settings, "SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'")
        if int(dirty) < 500:
            return
        await asyncio.sleep(0.5)


async def _pull(first_day: dt.date, last_day: dt.date, source_name: str) -> tuple[float, dict[str, int], int]:
    """``pull_usage`` of one source over the days, timed; its counters and the connections
    the pool opened."""
    with acting_as(system_actor("bench")):
        started = time.perf_counter()
        async with run_execution("usage.pull_day", {"bench": True}, Trigger.CLI) as run:
            await pull_usage(first_day, last_day, run, source_name=source_name)
        elapsed = time.perf_counter() - started
    pool = getattr(connections.get("default"), "_pool", None)
    return elapsed, dict(run.counters), int(getattr(pool, "size", 0))


async def _backfill(settings: Settings, customer_ids: list[int], days: int) -> tuple[float, int]:
    """A back-fill of ``days`` days for the customers, into an emptied ``usage_record``."""
    name = f"backfill-{days}"
    source = await DataSource.create(name=name, adapter="demo", settings=DEMO_SETTINGS)
    now = utcnow()
    await connections.get("default").execute_many(
        "INSERT INTO `customer_source_account` (customer_id, source_id, external_account, account_key, created_at,"
        " updated_at, is_deleted) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        [[cid, source.id, f"acct-{cid}", f"acct-{cid}", now, now, False] for cid in customer_ids],
    )
    await _sql(settings, "TRUNCATE TABLE `usage_record`")
    await _settle(settings)
    elapsed, counters, _ = await _pull(FIRST_DAY, FIRST_DAY + dt.timedelta(days=days - 1), name)
    await DataSource.filter(id=source.id).update(is_enabled=False)
    return elapsed, counters.get("written", 0)


async def run_bench(rows: int, *, backfill_days: tuple[int, ...] = BACKFILL_DAYS) -> dict[str, Any]:
    settings = get_settings()
    if not settings.database_url.startswith("mysql"):
        raise SystemExit(
            "opcms bench usage measures MariaDB/MySQL: set OPCMS_DATABASE_URL=mysql://…/opcms_bench"
        )
    customers = max(1, rows // (len(METRICS) * DAYS))
    chunks = math.ceil(customers / settings.usage_accounts_per_call)
    await fresh_database(settings, "usage")
    try:
        source_id, customer_ids = await _setup(customers)
        metric_ids = dict(await UsageMetric.all().values_list("code", "id"))
        print(
            f"usage bench: {customers:,} customers × {len(METRICS)} metrics × {DAYS} days, "
            f"{settings.usage_accounts_per_call} accounts per call ({chunks} chunks), "
            f"concurrency {settings.usage_pull_concurrency}, pool {settings.db_pool_max}, "
            f"{settings.usage_batch_rows} rows per statement",
            flush=True,
        )
        expected = await _expected_rows(source_id, customer_ids, metric_ids)
        last_day = FIRST_DAY + dt.timedelta(days=DAYS - 1)
        await _settle(settings)
        pipeline_s, counters, opened = await _pull(FIRST_DAY, last_day, "bench-demo")
        stored_sum = await _sql(settings, _checksum_sql("usage_record"))
        await _sql(settings, "TRUNCATE TABLE `usage_record`")
        await _settle(settings)
        # the floor writes on as many connections as the pipeline's pool opened
        writers = max(1, opened)
        floor_s = await _floor(expected, settings, writers)
        floor_sum = await _sql(settings, _checksum_sql(FLOOR_TABLE))
        await _sql(settings, f"DROP TABLE `{FLOOR_TABLE}`")
        del expected
        if stored_sum != floor_sum:
            raise SystemExit(f"usage bench: the pipeline stored {stored_sum}, the floor wrote {floor_sum}")
        written = int(stored_sum[0][0])
        await DataSource.filter(id=source_id).update(is_enabled=False)

        backfill = {}
        for days in backfill_days:
            backfill[days] = await _backfill(settings, customer_ids[:BACKFILL_CUSTOMERS], days)
    finally:
        await Tortoise.close_connections()

    value, floor = written / pipeline_s, written / floor_s
    ratio = value / floor
    meets = ratio >= TARGET_RATIO and value >= TARGET_ROWS_PER_S
    print(
        f"floor (raw batched INSERT … ON DUPLICATE KEY UPDATE, asyncmy, {writers} connections, fresh table): "
        f"{written:,} rows in {floor_s:.2f} s = {floor:,.0f} rows/s",
        flush=True,
    )
    print(
        f"pipeline (adapter → classify → upsert; pool opened {opened} connections): {written:,} rows in "
        f"{pipeline_s:.2f} s = {value:,.0f} rows/s (anomalies {counters.get('anomalies', 0)}, "
        f"calls {counters.get('processed', 0)})",
        flush=True,
    )
    print(
        f"ratio {ratio:.2f} (target ≥ {TARGET_RATIO} and ≥ {TARGET_ROWS_PER_S:,} rows/s: "
        f"{'meets' if meets else 'MISSES'})",
        flush=True,
    )
    short, year = backfill_days[0], backfill_days[-1]
    (short_s, _), (year_s, year_rows) = backfill[short], backfill[year]
    short_per_day, year_per_day = short_s / short, year_s / year
    day_ratio = year_per_day / short_per_day
    for days, (seconds, stored) in backfill.items():
        print(
            f"back-fill {BACKFILL_CUSTOMERS:,} customers × {days} days: {stored:,} rows in {seconds:.2f} s = "
            f"{seconds / days * 1000:.1f} ms per day, {stored / seconds:,.0f} rows/s",
            flush=True,
        )
    print(
        f"back-fill per-day cost, {year} days vs the first {short}: ratio {day_ratio:.2f} "
        f"(target ≤ {TARGET_DAY_RATIO}: {'meets' if day_ratio <= TARGET_DAY_RATIO else 'MISSES'})",
        flush=True,
    )
    lines = [
        {
            "label": f"usage back-fill, {BACKFILL_CUSTOMERS:,} customers: time per day over "
            f"{year} days vs over {short} days",
            "value": round(year_per_day * 1000, 1),
            "floor": round(short_per_day * 1000, 1),
            "ratio": round(day_ratio, 3),
            "unit": "ms/day",
            "target": f"≤ {TARGET_DAY_RATIO}× (linear in days)",
            "meets": day_ratio <= TARGET_DAY_RATIO,
        },
        {
            "label": f"usage back-fill, {BACKFILL_CUSTOMERS:,} customers × {year} days: rows/s",
            "value": round(year_rows / year_s),
            "floor": None,
            "ratio": None,
            "unit": "rows/s",
            "target": f"≥ {TARGET_ROWS_PER_S:,} rows/s",
            "meets": year_rows / year_s >= TARGET_ROWS_PER_S,
        },
    ]
    return figure(
        "usage",
        value,
        floor,
        unit="rows/s",
        better="higher",
        places=0,
        target=f"≥ {TARGET_RATIO} of the floor and ≥ {TARGET_ROWS_PER_S:,} rows/s",
        target_ratio=TARGET_RATIO,
        meets=meets,
        rows=written,
        connections=writers,
        pipeline_s=round(pipeline_s, 2),
        floor_s=round(floor_s, 2),
        lines=lines,
    )


def main(rows: int) -> int:
    result = asyncio.run(run_bench(rows))
    print(json.dumps(result), flush=True)
    return 0
