"""``opcms bench billing``: the invoice run against its floor (DESIGN §15).

On a throw-away MariaDB/MySQL database (OPCMS_DATABASE_URL must name one containing "bench")
and a Redis broker (OPCMS_BROKER_URL=redis://…; its Celery queue is purged first):

- seeds C customers × 3 metrics (graduated with included units and a minimum, per unit with a
  monthly fee, volume) with a subscription each and a month of daily usage (C × 3 × 30 rows,
  bulk inserts);
- the floor: one SQL ``GROUP BY customer_id, metric_id`` summing the month's usage;
- the figure: the full invoice run of that month — queued as the API queues it, planned by
  the coordinating task and billed in chunks by W real Celery worker processes
  (``celery worker --concurrency 1`` each) — from the request until the execution is finished.

Targets: ≤ 60 s and ≤ 5× the floor. The last line printed is one JSON object
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
from typing import Any

from tortoise import Tortoise, connections

from opcms.bench.common import figure, fresh_database, insert_customers
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

TARGET_SECONDS = 60.0
TARGET_RATIO = 5.0
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


async def _floor() -> tuple[float, int]:
    conn = connections.get("default")
    started = time.perf_counter()
    rows = await conn.execute_query_dict(
        "SELECT customer_id, metric_id, SUM(quantity) AS quantity FROM `usage_record`"
        " WHERE usage_day >= %s AND usage_day <= %s GROUP BY customer_id, metric_id",
        [dt.date(2026, 9, 1), dt.date(2026, 9, 30)],
    )
    return time.perf_counter() - started, len(rows)


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
        floor_s, groups = await _floor()
        await _floor()  # the floor is the better of two reads (the first may warm the buffer pool)
        floor_s = min(floor_s, (await _floor())[0])
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
    finally:
        _stop_workers(processes)
        await Tortoise.close_connections()
    ratio = run_s / floor_s
    result = execution.result or {}
    print(f"floor (one SQL GROUP BY of the month's usage): {groups:,} groups in {floor_s:.2f} s", flush=True)
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
        target_seconds=TARGET_SECONDS,
        target_ratio=TARGET_RATIO,
        meets=meets,
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
