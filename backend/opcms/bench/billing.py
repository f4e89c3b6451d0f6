"""``opcms bench billing``: the invoice run against its floor (DESIGN §15).

On a throw-away MariaDB/MySQL database (OPCMS_DATABASE_URL must name one containing "bench")
and a Redis broker (OPCMS_BROKER_URL=redis://…; its Celery queue is purged first):

- seeds C customers × 3 metrics (graduated with included units and a minimum, per unit with a
  monthly fee, volume) with a subscription each and a month of daily usage (C × 3 × 30 rows,
  bulk inserts);
- the figure: the full invoice run of that month — queued as the API queues it, planned by
  the coordinating task and billed in chunks by W real Celery worker processes
  (``celery worker --concurrency 1`` each) — from the request until the execution is finished;
- the honest floor: the same physical work by the cheapest known means, on W connections at
  once (one per worker), each with its share of the customers: the SQL ``GROUP BY
  customer_id, metric_id`` summing their month's usage, then multi-row INSERTs of exactly the
  invoice, invoice line and audit rows the run wrote (read back from the database, every
  column; the run's rows are deleted first), committed every chunk of invoices as the run
  commits each chunk. Timed twice, the better counts; afterwards the floor's rows are counted
  against the run's.

Targets: ≤ 20 s and ≤ 2× the floor. The last line printed is one JSON object
``{"bench": "billing", "value", "floor", "ratio", "unit": "s", …}``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from tortoise import Tortoise, connections

from opcms.bench.common import driver_connection, figure, fresh_database, insert_customers
from opcms.billing import run
from opcms.core.celery_app import configure_celery
from opcms.core.context import acting_as, system_actor
from opcms.core.models import utcnow
from opcms.core.settings import get_settings
from opcms.jobs.models import TaskExecution
from opcms.pricing.schemas import PlanCreate, UsageMetricCreate
from opcms.pricing.service import create_metric, create_plan
from opcms.settlement.models import Invoice
from opcms.usage.models import DataSource

TARGET_SECONDS = 20.0
TARGET_RATIO = 2.0
PERIOD = "2026-09"
DAYS = 30
LEVELS = ("S", "A", "B", "C")
INDUSTRIES = ("internet", "finance", "education", "retail", "other")
PLANS = (
    (
        "api_calls",
        "API-GRAD",
        {
            "mode": "graduated",
            "tiers": [
                {"up_to": "20000", "unit_price": "0.010000", "flat_fee": "0"},
                {"up_to": None, "unit_price": "0.008000", "flat_fee": "0"},
            ],
            "included_quantity": "1000",
            "minimum_amount": "50",
        },
    ),
    ("sms", "SMS-FEE", {"mode": "per_unit", "unit_price": "0.045000", "monthly_fee": "100"}),
    (
        "storage",
        "STO-VOL",
        {
            "mode": "volume",
            "tiers": [
                {"up_to": "1000", "unit_price": "0.050000", "flat_fee": "0"},
                {"up_to": "10000", "unit_price": "0.030000", "flat_fee": "5"},
                {"up_to": None, "unit_price": "0.020000", "flat_fee": "0"},
            ],
        },
    ),
)


async def _seed(customers: int) -> int:
    """Customers, plans, subscriptions and a month of usage; returns the usage rows written."""

    conn = connections.get("default")
    now = utcnow()
    start = dt.date(2026, 9, 1)
    with acting_as(system_actor("bench")):
        metrics, plans = [], []
        for code, plan_code, terms in PLANS:
            metrics.append(await create_metric(UsageMetricCreate(code=code, name=code, unit="次")))
            plans.append(
                await create_plan(
                    PlanCreate(
                        code=plan_code,
                        name=plan_code,
                        metric=code,
                        effective_from=dt.date(2026, 1, 1),
                        **terms,
                    )
                )
            )
        source = await DataSource.create(name="bench-feed", adapter="demo", settings={})
    batch = 2000
    ids = await insert_customers(conn, customers, now, levels=LEVELS, industries=INDUSTRIES, batch=batch)
    for first in range(0, len(ids), batch):
        await conn.execute_many(
            "INSERT INTO `subscription` (customer_id, metric_id, plan_id, effective_from, discount_percent,"
            " created_at, updated_at, is_deleted) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [
                [cid, metric.id, plan.id, dt.date(2026, 1, 1), 10 if cid % 7 == 0 else 0, now, now, False]
                for cid in ids[first : first + batch]
                for metric, plan in zip(metrics, plans, strict=False)
            ],
        )
    rows = 0
    sql = (
        "INSERT INTO `usage_record` (customer_id, metric_id, usage_day, source_id, quantity, is_late, created_at,"
        " updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
    )
    for first in range(0, len(ids), 200):
        values = [
            [
                cid,
                metric.id,
                start + dt.timedelta(days=d),
                source.id,
                (cid * 7 + d * 13 + n * 101) % 2000,
                False,
                now,
                now,
            ]
            for cid in ids[first : first + 200]
            for n, metric in enumerate(metrics)
            for d in range(DAYS)
        ]
        await conn.execute_many(sql, values)
        rows += len(values)
    # statistics as a database in service has them (a freshly filled table may still look empty)
    for table in ("customer", "subscription", "usage_record"):
        await conn.execute_query(f"ANALYZE TABLE `{table}`")
    return rows


async def _month_usage(cursor: Any, lo: int, hi: int) -> int:
    await cursor.execute(
        "SELECT customer_id, metric_id, SUM(quantity) AS quantity FROM `usage_record`"
        " WHERE customer_id >= %s AND customer_id <= %s AND usage_day >= %s AND usage_day <= %s"
        " GROUP BY customer_id, metric_id",
        [lo, hi, dt.date(2026, 9, 1), dt.date(2026, 9, 30)],
    )
    return len(await cursor.fetchall())


@dataclass
class RunRows:
    """The rows an invoice run wrote, as the database holds them (every column): what the
    floor writes again."""

    invoice_columns: list[str]
    invoices: list[tuple[Any, ...]]  # ordered by customer
    line_columns: list[str]
    lines: dict[int, list[tuple[Any, ...]]]  # by invoice id
    audit_columns: list[str]
    audits: dict[int, list[tuple[Any, ...]]]  # by invoice id

    @property
    def counts(self) -> tuple[int, int, int]:
        return (
            len(self.invoices),
            sum(len(v) for v in self.lines.values()),
            sum(len(v) for v in self.audits.values()),
        )


async def _read(cursor: Any, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    await cursor.execute(sql)
    return [d[0] for d in cursor.description], list(await cursor.fetchall())


async def _run_rows(conn: Any) -> RunRows:
    async with conn.cursor() as cursor:
        invoice_columns, invoices = await _read(cursor, "SELECT * FROM `invoice` ORDER BY customer_id")
        line_columns, lines = await _read(
            cursor, "SELECT * FROM `invoice_line` ORDER BY invoice_id, position"
        )
        audit_columns, audits = await _read(
            cursor, "SELECT * FROM `audit_log` WHERE entity_type = 'invoice' ORDER BY id"
        )
    by_invoice: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    line_invoice = line_columns.index("invoice_id")
    for row in lines:
        by_invoice[row[line_invoice]].append(row)
    audits_of: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    entity = audit_columns.index("entity_id")
    for row in audits:
        audits_of[int(row[entity])].append(row)
    return RunRows(invoice_columns, invoices, line_columns, by_invoice, audit_columns, audits_of)


async def _delete_run_rows(conn: Any) -> None:
    async with conn.cursor() as cursor:
        await cursor.execute("DELETE FROM `invoice_line`")
        await cursor.execute("DELETE FROM `audit_log` WHERE entity_type = 'invoice'")
        await cursor.execute("DELETE FROM `invoice`")
    await conn.commit()


def _insert_sql(table: str, columns: list[str]) -> str:
    return f"INSERT INTO `{table}` ({', '.join(f'`{c}`' for c in columns)}) VALUES ({', '.join(['%s'] * len(columns))})"


async def _floor_part(conn: Any, rows: RunRows, invoices: list[tuple[Any, ...]], batch: int) -> int:
    """One connection's share: the GROUP BY of its customers' month, then their invoices, lines
    and audit rows in multi-row INSERTs, committed every ``batch`` invoices as the run commits
    each chunk."""
    if not invoices:
        return 0
    customer = rows.invoice_columns.index("customer_id")
    invoice_id = rows.invoice_columns.index("id")
    # the ids the run's rows had (an auto-increment writer learns them from LAST_INSERT_ID: no
    # extra round trip)
    line_cols = [c for c in rows.line_columns if c != "id"]
    line_keep = [rows.line_columns.index(c) for c in line_cols]
    audit_cols = [c for c in rows.audit_columns if c != "id"]
    audit_keep = [rows.audit_columns.index(c) for c in audit_cols]
    invoice_sql = _insert_sql("invoice", rows.invoice_columns)
    line_sql = _insert_sql("invoice_line", line_cols)
    audit_sql = _insert_sql("audit_log", audit_cols)
    async with conn.cursor() as cursor:
        groups = await _month_usage(cursor, invoices[0][customer], invoices[-1][customer])
        for first in range(0, len(invoices), batch):
            part = invoices[first : first + batch]
            await conn.begin()
            await cursor.executemany(invoice_sql, part)
            await cursor.executemany(
                line_sql,
                [tuple(line[i] for i in line_keep) for inv in part for line in rows.lines[inv[invoice_id]]],
            )
            await cursor.executemany(
                audit_sql,
                [tuple(a[i] for i in audit_keep) for inv in part for a in rows.audits[inv[invoice_id]]],
            )
            await conn.commit()
    return groups


async def _floor(connections_: list[Any], rows: RunRows, batch: int) -> tuple[float, int]:
    """The honest floor, timed: on as many connections as the run has workers, each its share
    of the customers — the GROUP BY of their month's usage plus bulk INSERTs of the same
    invoice, line and audit rows the run wrote (all columns, as stored)."""
    share = -(-len(rows.invoices) // len(connections_))
    started = time.perf_counter()
    groups = await asyncio.gather(
        *(
            _floor_part(conn, rows, rows.invoices[n * share : (n + 1) * share], batch)
            for n, conn in enumerate(connections_)
        )
    )
    return time.perf_counter() - started, sum(groups)


async def _measure_floor(settings: Any, workers: int, batch: int) -> tuple[float, int, RunRows]:
    """Read the run's rows, delete them, write them again by the floor (twice: the better
    counts); leaves the floor's rows in place, checked to be as many as the run's."""
    conns = [await driver_connection(settings.database_url) for _ in range(workers)]
    try:
        rows = await _run_rows(conns[0])
        await conns[0].commit()
        best, groups = float("inf"), 0
        for _ in range(2):
            await _delete_run_rows(conns[0])
            took, groups = await _floor(conns, rows, batch)
            best = min(best, took)
        again = await _run_rows(conns[0])
        await conns[0].commit()
        if again.counts != rows.counts:
            raise SystemExit(f"opcms bench billing: the floor wrote {again.counts}, the run {rows.counts}")
    finally:
        for conn in conns:
            conn.close()
    return best, groups, rows


def _start_workers(count: int) -> list[subprocess.Popen]:
    env = {**os.environ, "OPCMS_LOG_LEVEL": os.environ.get("OPCMS_BENCH_WORKER_LOG_LEVEL", "WARNING")}
    log_dir = os.environ.get("OPCMS_BENCH_WORKER_LOG_DIR")
    return [
        subprocess.Popen(
            # `opcms worker`, wired like every worker (tasks, jobs, callbacks), not bare celery
            [
                sys.executable,
                "-m",
                "opcms",
                "worker",
                "--concurrency=1",
                "--",
                f"--hostname=bench{n}@%h",
                "--without-gossip",
                "--without-mingle",
            ],
            env=env,
            start_new_session=True,
            stderr=subprocess.STDOUT,
            stdout=open(os.path.join(log_dir, f"worker{n}.log"), "w") if log_dir else subprocess.DEVNULL,
        )
        for n in range(1, count + 1)
    ]


def _stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def _wait_for_workers(count: int, timeout: float = 60) -> None:
    app = configure_celery()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=1.0) or []
        if len(replies) >= count:
            return
    raise SystemExit(f"opcms bench billing: {count} Celery workers did not answer within {timeout:.0f} s")


async def run_bench(customers: int, workers: int) -> dict[str, Any]:
    settings = get_settings()
    if not settings.database_url.startswith("mysql"):
        raise SystemExit(
            "opcms bench billing measures MariaDB/MySQL: set OPCMS_DATABASE_URL=mysql://…/opcms_bench"
        )
    if not settings.broker_url.startswith("redis"):
        raise SystemExit("opcms bench billing runs real Celery workers: set OPCMS_BROKER_URL=redis://…")
    await fresh_database(settings, "billing")
    processes: list[subprocess.Popen] = []
    try:
        seeded = time.perf_counter()
        rows = await _seed(customers)
        print(
            f"billing bench: {customers:,} customers × {len(PLANS)} metrics × {DAYS} days = {rows:,} usage rows "
            f"(seeded in {time.perf_counter() - seeded:.1f} s); {workers} Celery worker processes, "
            f"chunks of {run.CHUNK_SIZE}",
            flush=True,
        )
        await asyncio.to_thread(configure_celery().control.purge)
        processes = _start_workers(workers)
        await asyncio.to_thread(_wait_for_workers, workers)
        with acting_as(system_actor("bench")):
            started = time.perf_counter()
            execution = await run.request_run(PERIOD, issue_date=dt.date(2026, 10, 1))
            while True:
                execution = await TaskExecution.get(id=execution.id)
                if execution.finished_at is not None:
                    break
                if time.perf_counter() - started > 600:
                    raise SystemExit("opcms bench billing: the run did not finish within 600 s")
                await asyncio.sleep(0.1)
            run_s = time.perf_counter() - started
        invoices = await Invoice.all().count()
        floor_s, groups, written = await _measure_floor(settings, workers, run.CHUNK_SIZE)
    finally:
        _stop_workers(processes)
        await Tortoise.close_connections()
    ratio = run_s / floor_s
    result = execution.result or {}
    invoice_rows, line_rows, audit_rows = written.counts
    print(
        f"floor ({workers} connections: GROUP BY of the month's usage, {groups:,} groups, plus multi-row INSERTs "
        f"of the run's {invoice_rows:,} invoices, {line_rows:,} lines and {audit_rows:,} audit rows): {floor_s:.2f} s",
        flush=True,
    )
    print(
        f"invoice run ({workers} Celery workers): {invoices:,} invoices in {run_s:.2f} s — {execution.status.value}, "
        f"counters {execution.counters}, receivable {result.get('receivable_total')}",
        flush=True,
    )
    meets = run_s <= TARGET_SECONDS and ratio <= TARGET_RATIO
    print(
        f"ratio {ratio:.2f} (targets ≤ {TARGET_SECONDS:.0f} s and ≤ {TARGET_RATIO}×: {'meets' if meets else 'MISSES'})",
        flush=True,
    )
    return figure(
        "billing",
        run_s,
        floor_s,
        unit="s",
        places=2,
        target=f"≤ {TARGET_RATIO:g}× and ≤ {TARGET_SECONDS:g} s",
        meets=meets,
        target_seconds=TARGET_SECONDS,
        target_ratio=TARGET_RATIO,
        invoice_lines=line_rows,
        audit_rows=audit_rows,
        groups=groups,
        customers=customers,
        usage_rows=rows,
        invoices=invoices,
        workers=workers,
        worker_kind="celery",
        status=execution.status.value,
    )


def main(customers: int, workers: int = 2) -> int:
    result = asyncio.run(run_bench(customers, workers))
    print(json.dumps(result), flush=True)
    return 0 if result["invoices"] else 1
