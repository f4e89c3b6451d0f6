"""``opcms bench usage``: ingesting usage records against their floor (DESIGN §15).

On a throw-away MariaDB/MySQL database (OPCMS_DATABASE_URL must name one containing "bench"),
with C customers × 2 metrics × 50 days = the requested rows:

- the vendor: the ``demo`` adapter makes what the vendor answers each call (the same
  accounts and day the pull asks for) before either clock starts; the bench's vendor
  (``bench-replay``) hands those rows to the pull. Making them is the vendor's work, not the
  ingest's: timed apart and printed beside the figures, in neither (the floor never had it:
  it wrote rows made ahead, and now both start from the same rows);
- the pipeline: ``pull_usage`` over the 50 days from that source — the adapter's calls (with
  their timeout and retry wrapping), the classification (mapping, metric, day, quantity, spike
  window), the late-usage lookup and the batched upsert, one statement per chunk and day —
  into the fresh ``usage_record`` (the figure: rows/s);
- the floor: the rows the pipeline stores from those answers (checked equal to what the
  pipeline stored: count, sum and a checksum of every key and quantity), in the order the
  pipeline writes them (each chunk's consecutive days grouped as the pull groups them into a
  statement, the chunks' groups side by side: where they land in the table's keys is part of
  the work), written by raw batched ``INSERT … ON DUPLICATE KEY UPDATE`` through the same
  driver (asyncmy ``executemany``, ``OPCMS_USAGE_BATCH_ROWS`` rows a
  statement) on as many connections as the pipeline's pool opened, into a fresh table built
  like ``usage_record`` (same columns, keys and foreign keys), after ``usage_record`` is
  emptied and the server has had a moment to flush what the pipeline left.

Targets: ≥ 50,000 rows/s and ≥ 0.8 of the floor.

Then a one-year back-fill for 1,000 customers: the pull (and its floor, as above) over the
first 90 days of a year, and over the whole year, each into an emptied (truncated, so fresh)
``usage_record``, each ``BACKFILL_ROUNDS`` (3) times: the medians are compared. Linear in
days means the time per day over the year is that over its first 90 days, as far as the
database allows: the floor's own time per day grows with the table, so the pipeline's growth
is given beside the floor's (the spike window used to rescan every recorded day for every
row, so a day cost more the more days were already pulled). Targets:
the year at ≥ 0.8 of its floor; the pipeline's growth ≤ 1.25 × the floor's.

The last line printed is one JSON object ``{"bench": "usage", "value", "floor", "ratio",
"unit": "rows/s", …, "lines": [the back-fill, …]}``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import json
import math
import re
import statistics
import time
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from tortoise import Tortoise, connections

from opcms.bench.common import driver_connection, figure, fresh_database, insert_customers, run_sql, settle
from opcms.core.context import acting_as, system_actor
from opcms.core.models import utcnow
from opcms.core.settings import Settings, get_settings
from opcms.jobs.models import Trigger
from opcms.jobs.recorder import run_execution
from opcms.pricing.models import UsageMetric
from opcms.usage.adapters import (
    HealthResult,
    SourceConfig,
    UsageAdapter,
    VendorRejected,
    VendorUsage,
    register_adapter,
)
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
BACKFILL_ROUNDS = 3
DEMO_SETTINGS = {"metrics": list(METRICS), "base": 1000}
FLOOR_TABLE = "usage_record_floor"


async def _setup(customers: int) -> tuple[int, list[int]]:
    for code in METRICS:
        await UsageMetric.create(code=code, name=code, unit="次")
    source = await DataSource.create(name="bench-demo", adapter=ReplayAdapter.name, settings={})
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


# what the vendor answered, by source name, then by the accounts and day asked
_ANSWERS: dict[str, dict[tuple[tuple[str, ...], dt.date], list[VendorUsage]]] = {}


@register_adapter
class ReplayAdapter(UsageAdapter):
    """The bench's vendor: answers each call with the rows the ``demo`` adapter gave for the
    same accounts and day before the clock started (its generation is the vendor's work, timed
    apart: the figure and its floor both start from the vendor's rows)."""

    name = "bench-replay"
    description = "The usage bench's vendor: the demo adapter's answers, made ahead"

    async def fetch_usage(self, accounts: Sequence[str], day: dt.date) -> list[VendorUsage]:
        answers = _ANSWERS.get(self.config.name, {})
        rows = answers.get((tuple(accounts), day))
        if rows is None:
            raise VendorRejected(
                f"the bench's vendor was not asked for {len(accounts)} accounts on {day} ahead"
            )
        return list(rows)

    async def health_check(self) -> HealthResult:
        return HealthResult(True, "the usage bench's vendor", 0.0)


async def _vendor_rows(
    source_id: int, source_name: str, customer_ids: list[int], metric_ids: dict[str, int], days: int
) -> tuple[list[tuple], float]:
    """What the vendor answers the pull, made by the ``demo`` adapter for the same chunks of
    accounts and days (kept for the bench's vendor), and the rows the pipeline stores from it,
    in the order it writes them: the floor's input. Answers (those rows, the seconds the
    adapter took to make the answers)."""
    settings = get_settings()
    adapter = DemoAdapter(SourceConfig(source_name, "demo", DEMO_SETTINGS, {}))
    customer_of = {f"acct-{cid}": cid for cid in customer_ids}
    accounts = sorted(customer_of)
    size = settings.usage_accounts_per_call
    chunks = [accounts[start : start + size] for start in range(0, len(accounts), size)]
    answers = _ANSWERS[source_name] = {}
    generating = 0.0
    now = utcnow().replace(tzinfo=None)
    # each chunk's statements as the pull groups them: consecutive days while their rows fit
    # in one statement (OPCMS_USAGE_BATCH_ROWS), each day's rows in the vendor's order
    statements: list[list[list[tuple]]] = [[] for _ in chunks]
    for day in days_between(FIRST_DAY, FIRST_DAY + dt.timedelta(days=days - 1)):
        for chunk, groups in zip(chunks, statements, strict=True):
            started = time.perf_counter()
            answer = answers[(tuple(chunk), day)] = await adapter.fetch_usage(chunk, day)
            generating += time.perf_counter() - started
            rows = []
            for usage in answer:
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
            if groups and len(groups[-1]) + len(rows) <= settings.usage_batch_rows:
                groups[-1].extend(rows)
            else:
                groups.append(rows)
    # in the order the pull writes them: its chunks go through their groups of days side by side
    ordered: list[tuple] = []
    for n in range(max(len(groups) for groups in statements)):
        for groups in statements:
            if n < len(groups):
                ordered.extend(groups[n])
    return ordered, generating


async def _fresh_floor_table(settings: Settings) -> None:
    """``usage_record_floor``, built as ``usage_record`` is (columns, keys, foreign keys)."""
    (_, create), *_ = await run_sql(settings, "SHOW CREATE TABLE `usage_record`")
    create = create.replace("CREATE TABLE `usage_record`", f"CREATE TABLE `{FLOOR_TABLE}`", 1)
    create = re.sub(r"CONSTRAINT `([^`]+)`", r"CONSTRAINT `\1_floor`", create)
    create = re.sub(r" AUTO_INCREMENT=\d+", "", create)
    await run_sql(settings, "SET sql_notes = 0", f"DROP TABLE IF EXISTS `{FLOOR_TABLE}`", create)


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
    conns = [await driver_connection(settings.database_url, autocommit=True) for _ in range(writers)]

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


async def _pull(first_day: dt.date, last_day: dt.date, source_name: str) -> tuple[float, dict[str, int], int]:
    """``pull_usage`` of one source over the days, timed; its counters and the most
    connections it had in use at once."""
    pool = getattr(connections.get("default"), "_pool", None)
    peak = 0
    done = asyncio.Event()

    async def watch() -> None:
        nonlocal peak
        while not done.is_set():
            if pool is not None:
                peak = max(peak, int(pool.size) - int(pool.freesize))
            await asyncio.sleep(0.002)

    watcher = asyncio.ensure_future(watch())
    with acting_as(system_actor("bench")):
        started = time.perf_counter()
        async with run_execution("usage.pull_day", {"bench": True}, Trigger.CLI) as run:
            await pull_usage(first_day, last_day, run, source_name=source_name)
        elapsed = time.perf_counter() - started
    done.set()
    await watcher
    return elapsed, dict(run.counters), max(1, peak)


async def _pipeline_and_floor(
    settings: Settings, source_id: int, customer_ids: list[int], days: int
) -> tuple[float, float, int, int, dict[str, int], float]:
    """The pull of ``days`` days into an emptied ``usage_record``, then the floor: the same
    rows on as many connections as the pull had in use at once, into a fresh table. Answers
    (pipeline s, floor s, rows, connections, the pull's counters, the demo vendor's s)."""
    metric_ids = dict(await UsageMetric.all().values_list("code", "id"))
    source_name = str(await DataSource.get(id=source_id).values_list("name", flat=True))
    expected, vendor_s = await _vendor_rows(source_id, source_name, customer_ids, metric_ids, days)
    await run_sql(settings, "TRUNCATE TABLE `usage_record`")
    await settle(settings)
    # the bench's own rows (the vendor's answers, the floor's input: millions of objects) are
    # left out of the collector's passes while either is timed: a pull does not hold them
    gc.collect()
    gc.freeze()
    try:
        pipeline_s, counters, in_use = await _pull(
            FIRST_DAY, FIRST_DAY + dt.timedelta(days=days - 1), source_name
        )
        stored_sum = await run_sql(settings, _checksum_sql("usage_record"))
        await run_sql(settings, "TRUNCATE TABLE `usage_record`")
        await settle(settings)
        floor_s = await _floor(expected, settings, in_use)
    finally:
        gc.unfreeze()
        _ANSWERS.pop(source_name, None)
    floor_sum = await run_sql(settings, _checksum_sql(FLOOR_TABLE))
    await run_sql(settings, f"DROP TABLE `{FLOOR_TABLE}`")
    if stored_sum != floor_sum:
        raise SystemExit(f"usage bench: the pipeline stored {stored_sum}, the floor wrote {floor_sum}")
    await DataSource.filter(id=source_id).update(is_enabled=False)
    return pipeline_s, floor_s, int(stored_sum[0][0]), in_use, counters, vendor_s


async def _backfill_source(customer_ids: list[int], days: int, round_: int) -> int:
    source = await DataSource.create(
        name=f"backfill-{days}-{round_}", adapter=ReplayAdapter.name, settings={}
    )
    now = utcnow()
    await connections.get("default").execute_many(
        "INSERT INTO `customer_source_account` (customer_id, source_id, external_account, account_key, created_at,"
        " updated_at, is_deleted) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        [[cid, source.id, f"acct-{cid}", f"acct-{cid}", now, now, False] for cid in customer_ids],
    )
    return int(source.id)


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
        print(
            f"usage bench: {customers:,} customers × {len(METRICS)} metrics × {DAYS} days, "
            f"{settings.usage_accounts_per_call} accounts per call ({chunks} chunks), "
            f"concurrency {settings.usage_pull_concurrency}, pool {settings.db_pool_max}, "
            f"{settings.usage_batch_rows} rows per statement",
            flush=True,
        )
        pipeline_s, floor_s, written, writers, counters, vendor_s = await _pipeline_and_floor(
            settings, source_id, customer_ids, DAYS
        )
        backfill = {}
        backfill_rounds: dict[int, tuple[list[float], list[float]]] = {}
        backfill_ids = customer_ids[:BACKFILL_CUSTOMERS]
        for days in backfill_days:
            # a back-fill of 90 days is over in under 2 s, where one slow moment of a shared
            # machine moves the figure by a tenth: each length is pulled (and its floor written)
            # BACKFILL_ROUNDS times, and the medians compared
            rounds = []
            for round_ in range(BACKFILL_ROUNDS):
                backfill_id = await _backfill_source(backfill_ids, days, round_)
                rounds.append(await _pipeline_and_floor(settings, backfill_id, backfill_ids, days))
            pipeline_rounds = sorted(r[0] for r in rounds)
            floor_rounds = sorted(r[1] for r in rounds)
            backfill[days] = (
                statistics.median(pipeline_rounds),
                statistics.median(floor_rounds),
                *rounds[0][2:],
            )
            backfill_rounds[days] = (pipeline_rounds, floor_rounds)
    finally:
        await Tortoise.close_connections()

    value, floor = written / pipeline_s, written / floor_s
    ratio = value / floor
    meets = ratio >= TARGET_RATIO and value >= TARGET_ROWS_PER_S
    print(
        f"pipeline (the vendor's rows → classify → upsert; {writers} connections in use at most): {written:,} rows in "
        f"{pipeline_s:.2f} s = {value:,.0f} rows/s (anomalies {counters.get('anomalies', 0)}, "
        f"calls {counters.get('processed', 0)})",
        flush=True,
    )
    print(
        f"the vendor (the demo adapter making the rows the pull is answered, before either clock; in neither "
        f"figure): {written:,} rows in {vendor_s:.2f} s = {vendor_s / written * 1e6:.2f} µs per row; the pipeline "
        f"with it: {written / (pipeline_s + vendor_s):,.0f} rows/s",
        flush=True,
    )
    print(
        f"floor (raw batched INSERT … ON DUPLICATE KEY UPDATE, asyncmy, {writers} connections, fresh table): "
        f"{written:,} rows in {floor_s:.2f} s = {floor:,.0f} rows/s",
        flush=True,
    )
    print(
        f"ratio {ratio:.2f} (target ≥ {TARGET_RATIO} and ≥ {TARGET_ROWS_PER_S:,} rows/s: "
        f"{'meets' if meets else 'MISSES'})",
        flush=True,
    )
    for days, (seconds, floor_seconds, stored, connections_used, _, _) in backfill.items():
        print(
            f"back-fill {len(backfill_ids):,} customers × {days} days: {stored:,} rows in {seconds:.2f} s = "
            f"{seconds / days * 1000:.1f} ms per day, {stored / seconds:,.0f} rows/s; floor ({connections_used} "
            f"connections) {floor_seconds:.2f} s = {floor_seconds / days * 1000:.1f} ms per day, "
            f"{stored / floor_seconds:,.0f} rows/s (the median of the rounds, sorted: pipeline "
            f"{', '.join(f'{r:.2f}' for r in backfill_rounds[days][0])} s, floor "
            f"{', '.join(f'{r:.2f}' for r in backfill_rounds[days][1])} s)",
            flush=True,
        )
    short, year = backfill_days[0], backfill_days[-1]
    short_s, short_floor_s, *_ = backfill[short]
    year_s, year_floor_s, year_rows, *_ = backfill[year]
    growth = (year_s / year) / (short_s / short)
    floor_growth = (year_floor_s / year) / (short_floor_s / short)
    year_value, year_floor = year_rows / year_s, year_rows / year_floor_s
    print(
        f"back-fill time per day, {year} days vs the first {short}: pipeline ×{growth:.2f}, floor ×{floor_growth:.2f}, "
        f"ratio {growth / floor_growth:.2f} (target ≤ {TARGET_DAY_RATIO}: "
        f"{'meets' if growth / floor_growth <= TARGET_DAY_RATIO else 'MISSES'})",
        flush=True,
    )
    lines = [
        {
            "label": f"usage back-fill, {len(backfill_ids):,} customers × {year} days",
            "value": round(year_value),
            "floor": round(year_floor),
            "ratio": round(year_value / year_floor, 3),
            "unit": "rows/s",
            "target": f"≥ {TARGET_RATIO} of the floor",
            "meets": year_value / year_floor >= TARGET_RATIO,
        },
        {
            "label": f"usage back-fill: time per day over {year} days ÷ over {short} days (floor: the same for "
            "the floor's writes)",
            "value": round(growth, 3),
            "floor": round(floor_growth, 3),
            "ratio": round(growth / floor_growth, 3),
            "unit": "×",
            "target": f"≤ {TARGET_DAY_RATIO} (linear in days)",
            "meets": growth / floor_growth <= TARGET_DAY_RATIO,
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
        vendor_s=round(vendor_s, 2),
        lines=lines,
    )


def main(rows: int) -> int:
    result = asyncio.run(run_bench(rows))
    print(json.dumps(result), flush=True)
    return 0
