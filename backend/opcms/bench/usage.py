"""``opcms bench usage``: ingesting usage records against their floor (DESIGN §15).

On a throw-away MariaDB/MySQL database (OPCMS_DATABASE_URL must name one containing "bench"),
with C customers × 2 metrics × D days = the requested rows:

- the pipeline: ``pull_usage`` over the D days from a ``demo`` data source — the adapter, the
  classification (mapping, metric, day, quantity, spike window), the anomaly lookups and the
  batched upsert — into an empty ``usage_record`` (the figure: rows/s);
- the floor: the same rows, as the pipeline stored them, written again into an emptied
  table by a raw batched ``INSERT … ON DUPLICATE KEY UPDATE`` through the same driver
  (asyncmy ``executemany``, the same batch size).

Target: the pipeline reaches ≥ 50% of the floor's rows/s. The last line printed is one JSON
object ``{"bench": "usage", "value", "floor", "ratio", "unit": "rows/s", …}``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from typing import Any
from urllib.parse import urlsplit

import asyncmy
from tortoise import Tortoise, connections

from opcms.bench.common import figure, fresh_database, insert_customers
from opcms.core.context import acting_as, system_actor
from opcms.core.models import utcnow
from opcms.core.settings import get_settings
from opcms.jobs.models import Trigger
from opcms.jobs.recorder import run_execution
from opcms.pricing.models import UsageMetric
from opcms.usage.models import DataSource, UsageRecord
from opcms.usage.pull import pull_usage
from opcms.usage.store import COLUMNS

TARGET_RATIO = 0.5
METRICS = ("api_calls", "sms")
#: what the floor writes: the columns the pipeline writes (usage.store), less those it leaves
#: empty for these rows (no late usage, anomaly or execution reference)
FLOOR_COLUMNS = tuple(c for c in COLUMNS if c not in ("late_at", "anomaly_id", "execution_id"))


async def _setup(customers: int) -> tuple[int, list[int]]:
    for code in METRICS:
        await UsageMetric.create(code=code, name=code, unit="次")
    source = await DataSource.create(
        name="bench-demo", adapter="demo", settings={"metrics": list(METRICS), "base": 1000}
    )
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


async def _floor(rows: list[tuple], batch_rows: int, settings: Any) -> float:
    """Raw batched INSERT … ON DUPLICATE KEY UPDATE of the same rows through asyncmy."""

    parts = urlsplit(settings.database_url)
    conn = await asyncmy.connect(
        host=parts.hostname,
        port=parts.port or 3306,
        user=parts.username or "root",
        password=parts.password or "",
        db=parts.path.strip("/"),
        autocommit=True,
    )
    sql = (
        f"INSERT INTO `usage_record` ({', '.join(FLOOR_COLUMNS)}) VALUES ({', '.join(['%s'] * len(FLOOR_COLUMNS))})"
        " ON DUPLICATE KEY UPDATE quantity = VALUES(quantity), updated_at = VALUES(updated_at)"
    )
    async with conn.cursor() as cursor:
        await cursor.execute("DELETE FROM `usage_record`")
        started = time.perf_counter()
        for start in range(0, len(rows), batch_rows):
            await cursor.executemany(sql, rows[start : start + batch_rows])
        elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


async def run_bench(rows: int) -> dict[str, Any]:
    settings = get_settings()
    if not settings.database_url.startswith("mysql"):
        raise SystemExit(
            "opcms bench usage measures MariaDB/MySQL: set OPCMS_DATABASE_URL=mysql://…/opcms_bench"
        )
    days = 50
    customers = max(1, rows // (len(METRICS) * days))
    await fresh_database(settings, "usage")
    try:
        source_id, _ = await _setup(customers)
        first_day = dt.date(2026, 1, 1)
        last_day = first_day + dt.timedelta(days=days - 1)
        print(
            f"usage bench: {customers:,} customers × {len(METRICS)} metrics × {days} days, "
            f"{settings.usage_accounts_per_call} accounts per call, concurrency {settings.usage_pull_concurrency}",
            flush=True,
        )
        with acting_as(system_actor("bench")):
            started = time.perf_counter()
            async with run_execution("usage.pull_day", {"bench": True}, Trigger.CLI) as run:
                await pull_usage(first_day, last_day, run)
            pipeline_s = time.perf_counter() - started
        written = await UsageRecord.all().count()
        counters = dict(run.counters)
        stored = await UsageRecord.all().order_by("id").values_list(*FLOOR_COLUMNS)
    finally:
        await Tortoise.close_connections()
    floor_s = await _floor([tuple(r) for r in stored], settings.usage_batch_rows, settings)
    value = written / pipeline_s
    floor = written / floor_s
    print(
        f"pipeline (adapter → classify → upsert): {written:,} rows in {pipeline_s:.2f} s = {value:,.0f} rows/s "
        f"(anomalies {counters.get('anomalies', 0)}, calls {counters.get('processed', 0)})",
        flush=True,
    )
    print(
        f"floor (raw batched INSERT … ON DUPLICATE KEY UPDATE, asyncmy): {written:,} rows in {floor_s:.2f} s "
        f"= {floor:,.0f} rows/s",
        flush=True,
    )
    ratio = value / floor
    print(
        f"ratio {ratio:.2f} (target ≥ {TARGET_RATIO}: {'meets' if ratio >= TARGET_RATIO else 'MISSES'})",
        flush=True,
    )
    return figure(
        "usage",
        value,
        floor,
        unit="rows/s",
        better="higher",
        places=0,
        target_ratio=TARGET_RATIO,
        meets=ratio >= TARGET_RATIO,
        rows=written,
        pipeline_s=round(pipeline_s, 2),
        floor_s=round(floor_s, 2),
    )


def main(rows: int) -> int:
    result = asyncio.run(run_bench(rows))
    print(json.dumps(result), flush=True)
    return 0
