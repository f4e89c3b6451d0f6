"""``opcms bench statements``: a 20,000-line bank statement against 10,000 open invoices (issue
18): the import with its matching beside the floor (reading the same file), target ≤ 3×, and
the accept-all of the high-confidence lines.

On a throw-away database (OPCMS_DATABASE_URL must name one containing "bench"): C customers
(``bench customer i``) with 5 open invoices each (10,000 by default), the payer accounts of a
fifth of them learned before, and one statement (a CSV in UTF-8, as the generic profile reads it) of N
incoming lines, paid as finance is paid:

- 40% pay one invoice exactly, under the customer's exact name (high confidence): the invoices of
  the first 80% of the customers, one line each;
- 20% come from a learned payer account under another name, an amount no invoice has (FIFO), and
- 20% carry a near name (``Bench Customer i Co., Ltd.``: the fuzzy payer matching), both for the
  other 20% of the customers;
- 20% come from 300 payers nobody knows (they pay again and again, as payers do).

The figure is the time of ``statements.service.import_statement`` on the file's bytes — the
reading, the duplicate check, the proposals of every line and the one transaction that stores
the statement with its lines. The floor is the reading alone (``read_statement`` on the same
bytes): what no import can skip. Both are timed in the same way: ``ROUNDS`` rounds of the floor
then the import, each round the same lines of another account (new bank lines, the same work),
and their medians compared (one import against the better of two readings, as before, drew the
machine's noise on the import's side only). Then every open high-confidence line is accepted
(``accept_all``): each records a payment and its allocation in its own transaction, under row
locks; that time is printed with its rate. The last line printed is one JSON object
``{"bench": "statements", "value", "floor", "ratio", "unit": "s", …}``.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import gc
import io
import random
import statistics
import time
from decimal import Decimal
from typing import Any

from tortoise import Tortoise, connections

from opcms.bench.common import figure, fresh_database, insert_customers, settle
from opcms.core.context import acting_as, system_actor
from opcms.core.settings import get_settings
from opcms.settlement.models import Invoice, InvoiceStatus
from opcms.statements.models import BankPayerAccount, BankStatementLine, Confidence
from opcms.statements.reading import read_statement
from opcms.statements.service import MAX_ACCEPT_PER_CALL, accept_all, import_statement

TARGET_RATIO = 3.0
#: rounds of floor and import, one after the other; the medians are compared
ROUNDS = 5
PER_CUSTOMER = 5
STRANGERS = 300
ACCOUNT = "3100228800005566001"
HEADERS = [
    "交易日期",
    "交易时间",
    "流水号",
    "对方户名",
    "对方账号",
    "对方开户行",
    "收入金额",
    "支出金额",
    "余额",
    "摘要",
    "用途",
]


def invoice_amount(customer: int, k: int) -> Decimal:
    return Decimal(1000 + (customer * 7 + k * 131) % 90_000) + Decimal(k) / 100 + Decimal("0.05")


async def _seed(customers: int) -> list[int]:
    conn = connections.get("default")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    ids = await insert_customers(conn, customers, now)
    rows = []
    for index, customer_id in enumerate(ids):
        for k in range(PER_CUSTOMER):
            period = f"2025-{k + 1:02d}"
            total = invoice_amount(index, k)
            rows.append(
                Invoice(
                    number=f"INV-{period.replace('-', '')}-{index * PER_CUSTOMER + k + 1:06d}",
                    customer_id=customer_id,
                    period=period,
                    live_period=period,
                    issue_date=dt.date(2025, k + 1, 1),
                    due_date=dt.date(2025, k + 1, 28),
                    customer_code=f"B{index:07d}",
                    company_name=f"bench customer {index}",
                    subtotal=total,
                    total=total,
                    outstanding=total,
                    status=InvoiceStatus.UNSETTLED,
                    created_by="bench",
                    updated_by="bench",
                )
            )
    await Invoice.bulk_create(rows, batch_size=2000)
    learned = [
        BankPayerAccount(
            payer_account=f"62220300{index:08d}",
            customer_id=ids[index],
            created_by="bench",
            updated_by="bench",
        )
        for index in range(_exact_customers(len(ids)), len(ids))
    ]
    await BankPayerAccount.bulk_create(learned, batch_size=2000)
    return ids


def _exact_customers(customers: int) -> int:
    return customers * 4 // 5


def statement_csv(lines: int, customers: int, account: str = ACCOUNT) -> tuple[bytes, dict[str, int]]:
    """The statement's bytes and how many lines of each kind it holds; ``account``: the account
    the statement is of (the same lines of another account are other bank lines)."""
    rng = random.Random(20261203)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["账户明细"])
    writer.writerow([f"账号：{account}"])
    writer.writerow([])
    writer.writerow(HEADERS)
    kinds = {"exact": 0, "learned": 0, "fuzzy": 0, "stranger": 0}
    exact = _exact_customers(customers)
    others = max(1, customers - exact)
    exact_pool = [(c, k) for c in range(exact) for k in range(PER_CUSTOMER)]
    rng.shuffle(exact_pool)
    balance = Decimal("1000000.00")
    start = dt.date(2026, 1, 1)
    for n in range(lines):
        share = n % 10
        if share < 4 and exact_pool:
            kind = "exact"
            customer, k = exact_pool.pop()
            name, account, amount = (
                f"bench customer {customer}",
                f"6222 0400 {n:08d}",
                invoice_amount(customer, k),
            )
        elif share < 6:
            kind = "learned"
            customer = min(customers - 1, exact + rng.randrange(others))
            name, account = f"代付方{customer}", f"62220300{customer:08d}"
            amount = Decimal(rng.randrange(10_000, 900_000)) / 100
        elif share < 8:
            kind = "fuzzy"
            customer = min(customers - 1, exact + rng.randrange(others))
            name, account = f"Bench Customer {customer} Co., Ltd.", ""
            amount = Decimal(rng.randrange(10_000, 900_000)) / 100
        else:
            kind = "stranger"
            stranger = rng.randrange(STRANGERS)
            name, account = f"个人汇款人{stranger:03d}", f"6217 0000 {stranger:08d}"
            amount = Decimal(rng.randrange(1_000, 100_000)) / 100
        kinds[kind] += 1
        balance += amount
        day = start + dt.timedelta(days=n * 300 // lines)
        writer.writerow(
            [
                day.isoformat(),
                f"{9 + n % 9:02d}:{n % 60:02d}:{(n * 7) % 60:02d}",
                f"BS{n + 1:08d}",
                name,
                account,
                "中国工商银行上海分行",
                f"{amount:,.2f}",
                "",
                f"{balance:,.2f}",
                "汇入汇款",
                f"货款 {n + 1}",
            ]
        )
    return out.getvalue().encode("utf-8"), kinds


async def run_bench(lines: int, invoices: int, accept_lines: int | None = None) -> dict[str, Any]:
    settings = get_settings()
    customers = max(1, invoices // PER_CUSTOMER)
    await fresh_database(settings, "statements")
    try:
        await _seed(customers)
        # the seeding's writes (and an earlier bench's) flushed before the clock starts: the
        # import writes, the floor does not, and neither should pay for what came before
        await settle(settings)
        floors: list[float] = []
        values: list[float] = []
        with acting_as(system_actor("bench")):
            for round_ in range(ROUNDS):
                # each round the same lines of another account: new bank lines, the same work
                content, kinds = statement_csv(lines, customers, f"{ACCOUNT}{round_}")
                # the floor: reading the same bytes
                gc.collect()
                started = time.perf_counter()
                read = read_statement(content, "statement.csv")
                floors.append(time.perf_counter() - started)
                assert len(read.incoming) == lines, (len(read.incoming), lines)
                del read  # what the floor read is no part of the import: not left for its collections
                gc.collect()  # each timing starts from a collected heap, as the floor's did
                started = time.perf_counter()
                imported = await import_statement(content, "statement.csv")
                values.append(time.perf_counter() - started)
            floor, value = statistics.median(floors), statistics.median(values)
            statement_id = imported.statement.id
            confidence = {
                c.value: await BankStatementLine.filter(statement_id=statement_id, confidence=c).count()
                for c in Confidence
            }
            matched = await BankStatementLine.filter(
                statement_id=statement_id, customer_id__isnull=False
            ).count()

            started = time.perf_counter()
            accepted, conflicts, calls = 0, 0, 0
            # one call takes at most MAX_ACCEPT_PER_CALL lines; --accept-lines N stops after N
            while accept_lines is None or accepted < accept_lines:
                left = MAX_ACCEPT_PER_CALL if accept_lines is None else accept_lines - accepted
                more = await accept_all(statement_id, Confidence.HIGH, limit=min(MAX_ACCEPT_PER_CALL, left))
                accepted += more.accepted
                conflicts += len(more.conflicts)
                calls += 1
                if not more.remaining or not (more.accepted or more.conflicts):
                    break
            accept_seconds = time.perf_counter() - started
    finally:
        await Tortoise.close_connections()
    ratio = value / floor if floor else float("inf")
    meets = ratio <= TARGET_RATIO
    print(
        f"statements bench: {lines:,} incoming lines against {customers * PER_CUSTOMER:,} open invoices of "
        f"{customers:,} customers ({settings.database_url.split('://')[0]}); lines: "
        + ", ".join(f"{k} {v:,}" for k, v in kinds.items()),
        flush=True,
    )
    print(
        f"floor (reading the file, {len(content) / 1e6:.1f} MB): {floor:.2f} s, the median of {ROUNDS} rounds "
        f"({', '.join(f'{f:.2f}' for f in floors)} s)",
        flush=True,
    )
    print(
        f"import with matching: {value:.2f} s, the median of {ROUNDS} rounds "
        f"({', '.join(f'{v:.2f}' for v in values)} s) = {ratio:.2f}× the floor (target ≤ {TARGET_RATIO:g}×: "
        f"{'meets' if meets else 'MISSES'}); {matched:,} lines with a customer; confidence "
        + ", ".join(f"{k} {v:,}" for k, v in confidence.items()),
        flush=True,
    )
    per_line = accept_seconds / accepted * 1000 if accepted else 0.0
    print(
        f"accept-all (high): {accepted:,} lines accepted in {accept_seconds:.1f} s "
        f"({per_line:.1f} ms a line: payment, allocation, line, learned account, each audited) "
        f"in {calls} calls, {conflicts} conflicts",
        flush=True,
    )
    return figure(
        "statements",
        value,
        floor,
        unit="s",
        target=f"≤ {TARGET_RATIO:g}× the floor",
        meets=meets,
        statement_lines=lines,
        invoices=customers * PER_CUSTOMER,
        customers_matched=matched,
        high=confidence["high"],
        medium=confidence["medium"],
        low=confidence["low"],
        accept_all_seconds=round(accept_seconds, 2),
        accepted=accepted,
        accept_ms_per_line=round(per_line, 2),
        accept_calls=calls,
        import_rounds=[round(v, 3) for v in values],
        floor_rounds=[round(f, 3) for f in floors],
        label=f"import + matching of a {lines:,}-line statement vs reading it",
    )


def main(lines: int, invoices: int, accept_lines: int | None = None) -> int:
    import json

    result = asyncio.run(run_bench(lines, invoices, accept_lines))
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0
