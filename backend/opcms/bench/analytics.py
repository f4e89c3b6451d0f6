"""``opcms bench analytics``: the dashboard over HTTP and the nightly scoring job (issue 14).

On a throw-away database (OPCMS_DATABASE_URL must name one containing "bench"; MariaDB/MySQL):
N customers (default 10,000; one operator owns every 50th… in turn, 20 owners), 13 months of
invoices (one per customer and month: 13 N, each with one line), a payment for most of them with
its allocation made on the day received (most on time, some late, some partial, some not paid, so
every aging bucket has money), and 1,000,000 usage rows (the last 100 days of N customers). Seeded
with bulk inserts.

- the figure: ``GET /api/v1/analytics/dashboard`` (default range: this month to date, every
  customer, as finance sees it) from one client, one request at a time, against ``opcms api``
  started as production runs it: p50 and p99 over R requests after a warm-up, each after an
  audited write (a customer's remark edited, not timed) so that every board is computed. Then
  R more with nothing written in between, which the API hands out again (``unchanged_p99``).
  Each block's time in this process is printed too, to say where the time goes.
- the floor: one ``SELECT SUM(outstanding)`` over the same open invoices on the same database
  (the smallest aggregate a dashboard can show), p50/p99 over R runs.
- ``scoring_s``: ``analytics.service.score_customers`` for N customers, and ``rescore_s`` the same
  day again (it replaces that day's rows).

Targets: dashboard p99 ≤ 300 ms; scoring ≤ 60 s. The last line printed is one JSON object
``{"bench": "analytics", "value": p99 ms, "floor": p99 ms, "ratio", "unit": "ms", …}``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from decimal import Decimal
from typing import Any

import httpx
from tortoise import connections

from opcms.analytics import service
from opcms.auth.models import User
from opcms.auth.service import ensure_user
from opcms.bench.common import figure, fresh_database, insert_customers, percentile, running_api
from opcms.billing.models import InvoiceLine
from opcms.core.context import acting_as, system_actor
from opcms.core.db import close_db
from opcms.core.money import CENT
from opcms.core.periods import period_bounds
from opcms.core.settings import business_today, get_settings
from opcms.pricing.models import PricingPlan, PricingPlanVersion, UsageMetric
from opcms.settlement.models import (
    Allocation,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from opcms.usage.models import DataSource

TARGET_P99_MS = 300.0
TARGET_SCORING_S = 60.0
MONTHS = 13
USAGE_ROWS = 1_000_000
OWNERS = 20
BATCH = 5000
PASSWORD = "Bench-Password-1"


def _months_before(day: dt.date, count: int) -> list[str]:
    year, month = day.year, day.month
    months = []
    for _ in range(count):
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        months.append(f"{year:04d}-{month:02d}")
    return months[::-1]


async def seed(count: int, today: dt.date) -> dict[str, int]:
    conn = connections.get("default")
    now = dt.datetime.now(dt.UTC)
    with acting_as(system_actor("bench")):
        await ensure_user("bench-admin", "admin", PASSWORD)
        for n in range(OWNERS):
            await ensure_user(f"bench-owner-{n}", "operator", PASSWORD, display_name=f"客户经理{n}")
        metric = await UsageMetric.create(code="api_calls", name="API 调用", unit="次")
        plan = await PricingPlan.create(code="BENCH-API", name="bench", metric=metric)
        version = await PricingPlanVersion.create(
            plan=plan,
            version=1,
            effective_from=dt.date(2000, 1, 1),
            mode="per_unit",
            unit_price=Decimal("0.01"),
        )
        source = await DataSource.create(name="bench", adapter="demo")
    ids = await insert_customers(conn, count, now)
    owner_ids = list(
        await User.filter(username__startswith="bench-owner-").order_by("id").values_list("id", flat=True)
    )
    for n, owner in enumerate(owner_ids):
        await conn.execute_query(
            f"UPDATE customer SET owner_id = %s, signed_at = %s WHERE MOD(id, {OWNERS}) = %s",
            [owner, today - dt.timedelta(days=800), n],
        )

    invoices: list[Invoice] = []
    plans: list[tuple[int, int, Decimal, dt.date | None, Decimal]] = []  # customer, n, total, received, paid
    for k, period in enumerate(_months_before(today, MONTHS)):
        _, last = period_bounds(period)
        issue = last + dt.timedelta(days=1)
        due = issue + dt.timedelta(days=30)
        for i, customer_id in enumerate(ids):
            total = (Decimal(100 + (i * 37 + k * 11) % 5000) + Decimal(i % 100) / 100).quantize(CENT)
            kind = (i * 7 + k) % 20  # 0: unpaid, 1: partial, 2–4: late, the rest on time
            received: dt.date | None
            if due >= today:  # not due yet: a third paid already
                received, paid = (
                    (issue + dt.timedelta(days=5), total) if kind % 3 == 0 else (None, Decimal(0))
                )
            elif kind == 0:
                received, paid = None, Decimal(0)
            elif kind == 1:
                received, paid = due - dt.timedelta(days=2), (total / 2).quantize(CENT)
            elif kind <= 4:
                received, paid = due + dt.timedelta(days=5 + kind * 10), total
            else:
                received, paid = due - dt.timedelta(days=3), total
            if received is not None and received > today:
                received, paid = None, Decimal(0)
            outstanding = total - paid
            status = (
                InvoiceStatus.SETTLED
                if outstanding == 0
                else InvoiceStatus.PARTIALLY_SETTLED
                if paid
                else InvoiceStatus.UNSETTLED
            )
            settled_at = (
                dt.datetime.combine(received, dt.time(10), tzinfo=dt.UTC)
                if status is InvoiceStatus.SETTLED and received
                else None
            )
            invoices.append(
                Invoice(
                    number=f"INV-{period.replace('-', '')}-{i + 1:06d}",
                    customer_id=customer_id,
                    period=period,
                    live_period=period,
                    issue_date=issue,
                    due_date=due,
                    customer_code=f"B{i:07d}",
                    company_name=f"bench customer {i}",
                    subtotal=total,
                    total=total,
                    paid_amount=paid,
                    outstanding=outstanding,
                    status=status,
                    settled_at=settled_at,
                    created_by="bench",
                    updated_by="bench",
                )
            )
            plans.append((customer_id, len(invoices) - 1, total, received, paid))
    for start in range(0, len(invoices), BATCH):
        await Invoice.bulk_create(invoices[start : start + BATCH])
    invoice_ids = list(await Invoice.all().order_by("id").values_list("id", flat=True))
    periods = [inv.period for inv in invoices]

    lines = []
    for n, invoice_id in enumerate(invoice_ids):
        total = invoices[n].total
        first, last = period_bounds(periods[n])
        lines.append(
            InvoiceLine(
                invoice_id=invoice_id,
                position=1,
                plan_id=plan.id,
                plan_version_id=version.id,
                metric_id=metric.id,
                description="API 调用",
                mode="per_unit",
                service_from=first,
                service_to=last,
                days_active=(last - first).days + 1,
                days_in_period=(last - first).days + 1,
                quantity=total * 100,
                included_quantity=0,
                billed_quantity=total * 100,
                usage_amount=total,
                monthly_fee=0,
                minimum_top_up=0,
                discount_percent=0,
                discount=0,
                amount=total,
                breakdown=[],
            )  # fmt: skip
        )
    for start in range(0, len(lines), BATCH):
        await InvoiceLine.bulk_create(lines[start : start + BATCH])

    payments = []
    paid_plans = [p for p in plans if p[3] is not None]
    for customer_id, _, _, received, paid in paid_plans:
        assert received is not None
        payments.append(
            Payment(
                customer_id=customer_id,
                amount=paid,
                received_on=received,
                method=PaymentMethod.BANK_TRANSFER,
                allocated_amount=paid,
                unallocated_amount=Decimal("0.00"),
                status=PaymentStatus.ALLOCATED,
                created_at=dt.datetime.combine(received, dt.time(10), tzinfo=dt.UTC),
                created_by="bench",
                updated_by="bench",
            )  # fmt: skip
        )
    for start in range(0, len(payments), BATCH):
        await Payment.bulk_create(payments[start : start + BATCH])
    payment_ids = list(await Payment.all().order_by("id").values_list("id", flat=True))
    allocations = []
    for payment_id, (customer_id, n, _, received, paid) in zip(payment_ids, paid_plans, strict=True):
        assert received is not None
        allocations.append(
            Allocation(
                payment_id=payment_id,
                invoice_id=invoice_ids[n],
                customer_id=customer_id,
                amount=paid,
                created_at=dt.datetime.combine(received, dt.time(10), tzinfo=dt.UTC),
                created_by="bench",
                updated_by="bench",
            )  # fmt: skip
        )
    for start in range(0, len(allocations), BATCH):
        await Allocation.bulk_create(allocations[start : start + BATCH])

    days = max(1, min(400, USAGE_ROWS // len(ids)))
    first_day = today - dt.timedelta(days=days)
    rows = []
    written = 0
    for d in range(days):
        day = first_day + dt.timedelta(days=d)
        for i, customer_id in enumerate(ids):
            # a tenth of the customers fall away over the last 40 days: churn warnings to compute
            falling = i % 10 == 0 and d > days - 40
            quantity = (1000 + (i * 13 + d * 7) % 900) // (4 if falling else 1)
            rows.append((customer_id, metric.id, day, source.id, quantity, False, now, now))
            if len(rows) == BATCH:
                await _insert_usage(conn, rows)
                written += len(rows)
                rows = []
    if rows:
        await _insert_usage(conn, rows)
        written += len(rows)
    return {"invoices": len(invoices), "payments": len(payments), "usage_rows": written}


async def _insert_usage(conn: Any, rows: list[tuple[Any, ...]]) -> None:
    await conn.execute_many(
        "INSERT INTO usage_record (customer_id, metric_id, usage_day, source_id, quantity, is_late, created_at, "
        "updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        rows,
    )


async def _prepare(count: int) -> dict[str, Any]:
    settings = get_settings()
    if not settings.database_url.startswith("mysql"):
        raise SystemExit("opcms bench analytics runs on MariaDB/MySQL (OPCMS_DATABASE_URL=mysql://…bench…)")
    await fresh_database(settings, "analytics")
    today = business_today()
    started = time.perf_counter()
    counts: dict[str, Any] = dict(await seed(count, today))
    counts["seed_s"] = round(time.perf_counter() - started, 1)
    await connections.get("default").execute_script(
        "ANALYZE TABLE invoice, payment, allocation, usage_record, customer"
    )
    started = time.perf_counter()
    scored = await service.score_customers(today)
    counts["scoring_s"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    await service.score_customers(today)
    counts["rescore_s"] = round(time.perf_counter() - started, 2)
    counts["churn_high"] = scored["churn_high"]
    board = service.Board(start=today.replace(day=1), end=today, as_of=today, owner_id=None)
    blocks = {}
    for name, build in service.BLOCK_BUILDERS.items():
        started = time.perf_counter()
        await build(board)
        blocks[name] = round((time.perf_counter() - started) * 1000, 1)
    counts["blocks_ms"] = blocks
    floor = []
    for _ in range(60):
        started = time.perf_counter()
        await connections.get("default").execute_query(
            "SELECT SUM(outstanding) FROM invoice WHERE is_deleted = 0 AND status IN ('unsettled', 'partially_settled')"
        )
        floor.append((time.perf_counter() - started) * 1000)
    counts["floor"] = floor[10:]
    await close_db()
    return counts


def main(count: int, requests: int = 50) -> int:
    prepared = asyncio.run(_prepare(count))
    samples: list[float] = []
    warm: list[float] = []
    with running_api("analytics") as base, httpx.Client(base_url=base, timeout=60) as client:
        token = client.post(
            "/api/v1/auth/login", json={"username": "bench-admin", "password": PASSWORD}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        someone = client.get("/api/v1/customers?page_size=1", headers=headers).json()["items"][0]["id"]

        def board() -> float:
            started = time.perf_counter()
            reply = client.get("/api/v1/analytics/dashboard", headers=headers)
            elapsed = (time.perf_counter() - started) * 1000
            if reply.status_code != 200 or reply.json()["errors"]:
                raise SystemExit(
                    f"bench analytics: the dashboard answered {reply.status_code}: {reply.text[:300]}"
                )
            return elapsed

        for n in range(requests + 5):
            # computed: someone wrote something since the last board (an audited customer
            # edit, not timed), so the board is computed again
            reply = client.patch(
                f"/api/v1/customers/{someone}", headers=headers, json={"remark": f"bench {n}"}
            )
            if reply.status_code != 200:
                raise SystemExit(
                    f"bench analytics: editing a customer answered {reply.status_code}: {reply.text[:300]}"
                )
            elapsed = board()
            if n >= 5:  # the first five warm the caches and the pool
                samples.append(elapsed)
        for _ in range(requests):
            # nothing written in between: the board computed last is handed out again
            warm.append(board())
    p50, p99 = percentile(samples, 50), percentile(samples, 99)
    floor = prepared.pop("floor")
    floor50, floor99 = percentile(floor, 50), percentile(floor, 99)
    settings = get_settings()
    print(
        f"analytics bench: {count:,} customers, {prepared['invoices']:,} invoices, {prepared['payments']:,} payments, "
        f"{prepared['usage_rows']:,} usage rows (seeded in {prepared['seed_s']} s), database "
        f"{settings.database_url.split(':', 1)[0]}, {settings.api_workers} API process(es)"
    )
    warm50, warm99 = percentile(warm, 50), percentile(warm, 99)
    print(
        f"  dashboard over HTTP, computed (a write before each)  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms"
        f"  ({requests} requests, one at a time)"
    )
    print(f"  dashboard over HTTP, nothing written since          p50 {warm50:7.1f} ms  p99 {warm99:7.1f} ms")
    print(f"  floor SUM(outstanding) p50 {floor50:5.1f} ms  p99 {floor99:7.1f} ms")
    print("  blocks in process (ms): " + ", ".join(f"{k} {v}" for k, v in prepared["blocks_ms"].items()))
    verdict = "meets" if p99 <= TARGET_P99_MS else "MISSES"
    print(f"  dashboard p99 computed {p99:.1f} ms (target ≤ {TARGET_P99_MS:g} ms): {verdict} the target")
    verdict = "meets" if prepared["scoring_s"] <= TARGET_SCORING_S else "MISSES"
    print(
        f"  scoring {count:,} customers: {prepared['scoring_s']} s, again the same day {prepared['rescore_s']} s "
        f"(target ≤ {TARGET_SCORING_S:g} s): {verdict} the target; {prepared['churn_high']} at high churn risk"
    )
    result = figure(
        "analytics",
        p99,
        floor99,
        unit="ms",
        places=2,
        p50=round(p50, 2),
        floor_p50=round(floor50, 3),
        unchanged_p50=round(warm50, 2),
        unchanged_p99=round(warm99, 2),
        scoring_s=prepared["scoring_s"],
        rescore_s=prepared["rescore_s"],
        blocks_ms=prepared["blocks_ms"],
        customers=count,
        invoices=prepared["invoices"],
        usage_rows=prepared["usage_rows"],
    )
    print(json.dumps(result), flush=True)
    return 0
