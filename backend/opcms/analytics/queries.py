"""Analytics reads: every figure is one SQL aggregate (GROUP BY in the database), never rows
loaded into Python to be summed. Formulas and thresholds: ``docs/analytics.md``.

Two things are written for both dialects. Money is summed exactly: on SQLite, which keeps
DECIMAL as text and would sum it as floats, sums are of whole cents (``core.db.money_sum_sql``).
"By the end of day D" is a comparison with the UTC instant that day D ends in the business time
zone, so timestamps (allocations made, reversed, invoices voided) are compared as stored.

Past balances (receivable and overdue at a month end, credit at the start of a range) are
rebuilt from the ledger, which never edits history: an invoice's total, minus the credit notes
issued against it by then, minus the allocations made by then and not reversed by then; an
invoice counts from its issue date until the day it was voided.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from tortoise import connections

from opcms.core.db import (
    days_between_sql,
    decimal_of_sum,
    decimal_sum_sql,
    local_date_sql,
    money_of_sum,
    money_sum_sql,
    month_sql,
    number_sql,
    param_mark,
    sql_date,
    sql_timestamp,
    straight_join,
)
from opcms.core.money import ZERO
from opcms.core.settings import get_settings
from opcms.settlement.models import InvoiceStatus, PaymentStatus

VOID = InvoiceStatus.VOID.value
OPEN_STATUSES = (InvoiceStatus.UNSETTLED.value, InvoiceStatus.PARTIALLY_SETTLED.value)
BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")
MOVEMENTS = ("new", "expansion", "contraction", "churned", "reactivated")


async def fetch(sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    return await connections.get("default").execute_query_dict(sql, list(params))


def owned(column: str, owner_id: int | None) -> tuple[str, list[Any]]:
    """SQL (and its parameter) keeping rows whose customer ``column`` is owned by ``owner_id``;
    nothing when the board is everyone's."""
    if owner_id is None:
        return "", []
    return f" AND {column} IN (SELECT id FROM customer WHERE owner_id = {param_mark()})", [owner_id]


def end_of_day(day: dt.date) -> dt.datetime:
    """The instant business day ``day`` ends (the next day's midnight in the business zone)."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=get_settings().tz)


def month_end(month: str) -> dt.date:
    year, number = int(month[:4]), int(month[5:7])
    first_of_next = dt.date(year + number // 12, number % 12 + 1, 1)
    return first_of_next - dt.timedelta(days=1)


def months_ending(day: dt.date, count: int) -> list[str]:
    """The ``count`` months (``YYYY-MM``) up to and including ``day``'s, oldest first."""
    year, month = day.year, day.month
    months = []
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def previous_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year - 1:04d}-12" if number == 1 else f"{year:04d}-{number - 1:02d}"


def _sum_case(condition: str, amount: str) -> str:
    return money_sum_sql(f"(CASE WHEN {condition} THEN {amount} ELSE 0 END)")


# --- sums over date ranges --------------------------------------------------------------------
async def invoiced_in(ranges: Sequence[tuple[dt.date, dt.date]], owner_id: int | None) -> list[Decimal]:
    """Σ total of non-void invoices issued in each range (inclusive), in one scan."""
    return await _sums_in(
        "invoice i", f"i.is_deleted = 0 AND i.status <> '{VOID}'", "i.total", "i.issue_date",
        "i.customer_id", ranges, owner_id,
    )  # fmt: skip


async def collected_in(ranges: Sequence[tuple[dt.date, dt.date]], owner_id: int | None) -> list[Decimal]:
    """Σ amount of non-void payments received in each range (inclusive), in one scan."""
    return await _sums_in(
        "payment p", f"p.is_deleted = 0 AND p.status <> '{PaymentStatus.VOID.value}'", "p.amount",
        "p.received_on", "p.customer_id", ranges, owner_id,
    )  # fmt: skip


async def _sums_in(
    source: str,
    where: str,
    amount: str,
    day: str,
    customer: str,
    ranges: Sequence[tuple[dt.date, dt.date]],
    owner_id: int | None,
) -> list[Decimal]:
    mark = param_mark()
    columns = ", ".join(
        f"{_sum_case(f'{day} BETWEEN {mark} AND {mark}', amount)} AS s{n}" for n in range(len(ranges))
    )
    params: list[Any] = [sql_date(d) for pair in ranges for d in pair]
    scope, scope_params = owned(customer, owner_id)
    lowest, highest = min(a for a, _ in ranges), max(b for _, b in ranges)
    [row] = await fetch(
        f"SELECT {columns} FROM {source} WHERE {where} AND {day} BETWEEN {mark} AND {mark}{scope}",
        [*params, sql_date(lowest), sql_date(highest), *scope_params],
    )
    return [money_of_sum(row[f"s{n}"]) for n in range(len(ranges))]


async def monthly_sums(months: Sequence[str], owner_id: int | None) -> dict[str, dict[str, Decimal]]:
    """Invoiced (by issue month) and collected (by month received) for each month."""
    first, last = months[0] + "-01", month_end(months[-1])
    mark = param_mark()
    bounds = [sql_date(dt.date.fromisoformat(first)), sql_date(last)]
    result = {m: {"invoiced": ZERO, "collected": ZERO} for m in months}
    scope, scope_params = owned("i.customer_id", owner_id)
    for row in await fetch(
        f"SELECT {month_sql('i.issue_date')} AS month, {money_sum_sql('i.total')} AS amount FROM invoice i "
        f"WHERE i.is_deleted = 0 AND i.status <> '{VOID}' AND i.issue_date BETWEEN {mark} AND {mark}{scope} "
        f"GROUP BY {month_sql('i.issue_date')}",
        [*bounds, *scope_params],
    ):
        result[row["month"]]["invoiced"] = money_of_sum(row["amount"])
    scope, scope_params = owned("p.customer_id", owner_id)
    for row in await fetch(
        f"SELECT {month_sql('p.received_on')} AS month, {money_sum_sql('p.amount')} AS amount FROM payment p "
        f"WHERE p.is_deleted = 0 AND p.status <> '{PaymentStatus.VOID.value}' "
        f"AND p.received_on BETWEEN {mark} AND {mark}{scope} GROUP BY {month_sql('p.received_on')}",
        [*bounds, *scope_params],
    ):
        result[row["month"]]["collected"] = money_of_sum(row["amount"])
    return result


# --- balances now -------------------------------------------------------------------------------
async def aging_buckets(as_of: dt.date, owner_id: int | None) -> list[dict[str, Any]]:
    """Outstanding of non-void invoices now, by days past due on ``as_of``: five buckets whose
    amounts add up to the receivable. Due today is current; 1–30 days past due is "1-30"."""
    mark = param_mark()
    scope, scope_params = owned("i.customer_id", owner_id)
    bucket = (
        f"CASE WHEN i.due_date >= {mark} THEN 0 WHEN i.due_date >= {mark} THEN 1 "
        f"WHEN i.due_date >= {mark} THEN 2 WHEN i.due_date >= {mark} THEN 3 ELSE 4 END"
    )
    rows = await fetch(
        f"SELECT {bucket} AS bucket, COUNT(*) AS invoices, {money_sum_sql('i.outstanding')} AS amount "
        f"FROM invoice i WHERE i.is_deleted = 0 AND i.status IN ({mark}, {mark}) "
        f"AND i.issue_date <= {mark}{scope} GROUP BY bucket",
        [
            *(sql_date(as_of - dt.timedelta(days=n)) for n in (0, 30, 60, 90)),
            *OPEN_STATUSES,
            sql_date(as_of),
            *scope_params,
        ],
    )
    found = {int(row["bucket"]): row for row in rows}
    return [
        {
            "bucket": name,
            "amount": money_of_sum(found[n]["amount"]) if n in found else ZERO,
            "count": int(found[n]["invoices"]) if n in found else 0,
        }
        for n, name in enumerate(BUCKETS)
    ]


async def credit_now(owner_id: int | None) -> Decimal:
    """Customers' money not yet allocated: unallocated payments of known customers and the
    unallocated credit of credit notes."""
    mark = param_mark()
    scope, scope_params = owned("p.customer_id", owner_id)
    [paid] = await fetch(
        f"SELECT {money_sum_sql('p.unallocated_amount')} AS amount FROM payment p WHERE p.is_deleted = 0 "
        f"AND p.customer_id IS NOT NULL AND p.status IN ({mark}, {mark}){scope}",
        [PaymentStatus.UNALLOCATED.value, PaymentStatus.PARTIALLY_ALLOCATED.value, *scope_params],
    )
    scope, scope_params = owned("c.customer_id", owner_id)
    [credited] = await fetch(
        f"SELECT {money_sum_sql('c.unallocated_amount')} AS amount FROM credit_note c "
        f"WHERE c.is_deleted = 0{scope}",
        scope_params,
    )
    return money_of_sum(paid["amount"]) + money_of_sum(credited["amount"])


# --- balances at past days, rebuilt from the ledger ---------------------------------------------
def _alive_at(mark: str) -> str:
    """An invoice issued by day D and not voided by its end (parameters: D, end of D)."""
    return f"i.issue_date <= {mark} AND (i.status <> '{VOID}' OR i.voided_at >= {mark})"


FIGURE_PREFIX = {"receivable": "r", "overdue": "o"}


async def balances_at(
    days: Sequence[dt.date], owner_id: int | None, figures: Sequence[str] = ("receivable", "overdue")
) -> list[dict[str, Decimal]]:
    """``{"receivable", "overdue"}`` (or those of ``figures``) at the end of each day:
    outstanding of the invoices alive then (overdue: those due before that day), rebuilt in three
    scans (invoices, credit notes, allocations) with one conditional sum per figure and day.

    Invoices that owe nothing on every one of the days are left out of all three scans, which
    is most of them: settled or voided before the earliest day ends, and, when only overdue is
    asked for, settled by the end of their due date (paid on time is never overdue)."""
    if not days:
        return []
    mark = param_mark()
    alive = _alive_at(mark)
    tz = get_settings().tz

    def alive_params(day: dt.date) -> list[Any]:
        return [sql_date(day), sql_timestamp(end_of_day(day))]

    latest, earliest = max(days), min(days)
    scope, scope_params = owned("i.customer_id", owner_id)
    keep = (
        f"(i.status NOT IN ('{InvoiceStatus.SETTLED.value}', '{VOID}') "
        f"OR (i.status = '{InvoiceStatus.SETTLED.value}' AND i.settled_at >= {mark}) "
        f"OR (i.status = '{VOID}' AND i.voided_at >= {mark}))"
    )
    keep_params: list[Any] = [sql_timestamp(end_of_day(earliest))] * 2
    if "receivable" not in figures:
        keep += f" AND NOT (i.status = '{InvoiceStatus.SETTLED.value}' AND {local_date_sql('i.settled_at', tz)} <= i.due_date)"

    def sums(condition: str, amount: str, params_of: Any) -> tuple[str, list[Any]]:
        columns, params = [], []
        for n, day in enumerate(days):
            if "receivable" in figures:
                columns.append(f"{_sum_case(condition, amount)} AS r{n}")
                params += params_of(day)
            if "overdue" in figures:
                columns.append(f"{_sum_case(f'{condition} AND i.due_date < {mark}', amount)} AS o{n}")
                params += [*params_of(day), sql_date(day)]
        return ", ".join(columns), params

    # invoices: Σ total
    columns, params = sums(alive, "i.total", alive_params)
    [totals] = await fetch(
        f"SELECT {columns} FROM invoice i WHERE i.is_deleted = 0 AND i.issue_date <= {mark} AND {keep}{scope}",
        [*params, sql_date(latest), *keep_params, *scope_params],
    )

    # credit notes applied to them by then
    columns, params = sums(
        f"{alive} AND c.issue_date <= {mark}",
        "c.applied_amount",
        lambda day: [*alive_params(day), sql_date(day)],
    )
    [credited] = await fetch(
        f"SELECT {columns} FROM credit_note c JOIN invoice i ON i.id = c.invoice_id "
        f"WHERE c.is_deleted = 0 AND i.is_deleted = 0 AND c.issue_date <= {mark} AND {keep}{scope}",
        [*params, sql_date(latest), *keep_params, *scope_params],
    )

    # allocations made by then and not reversed by then
    def standing_params(day: dt.date) -> list[Any]:
        end = sql_timestamp(end_of_day(day))
        return [*alive_params(day), end, end]

    columns, params = sums(
        f"{alive} AND a.created_at < {mark} AND (a.is_reversed = 0 OR a.reversed_at >= {mark})",
        "a.amount",
        standing_params,
    )
    [allocated] = await fetch(
        # the few invoices kept drive the join (MySQL would read every allocation first)
        f"SELECT {columns} FROM invoice i {straight_join()} allocation a ON a.invoice_id = i.id "
        f"WHERE a.is_deleted = 0 AND i.is_deleted = 0 AND a.created_at < {mark} AND {keep}{scope}",
        [*params, sql_timestamp(end_of_day(latest)), *keep_params, *scope_params],
    )
    return [
        {
            key: money_of_sum(totals[f"{prefix}{n}"])
            - money_of_sum(credited[f"{prefix}{n}"])
            - money_of_sum(allocated[f"{prefix}{n}"])
            for key, prefix in FIGURE_PREFIX.items()
            if key in figures
        }
        for n in range(len(days))
    ]


async def credit_at(day: dt.date, owner_id: int | None) -> Decimal:
    """Customers' unallocated money at the end of ``day``: payments received by then and not
    voided by then, plus credit-note credit issued by then, minus what of either was allocated
    by then and not reversed by then."""
    mark = param_mark()
    end = sql_timestamp(end_of_day(day))
    scope, scope_params = owned("p.customer_id", owner_id)
    [received] = await fetch(
        f"SELECT {money_sum_sql('p.amount')} AS amount FROM payment p WHERE p.is_deleted = 0 "
        f"AND p.customer_id IS NOT NULL AND p.received_on <= {mark} "
        f"AND (p.status <> '{PaymentStatus.VOID.value}' OR p.voided_at >= {mark}){scope}",
        [sql_date(day), end, *scope_params],
    )
    scope, scope_params = owned("c.customer_id", owner_id)
    [credited] = await fetch(
        f"SELECT {money_sum_sql('c.credit_amount')} AS amount FROM credit_note c "
        f"WHERE c.is_deleted = 0 AND c.issue_date <= {mark}{scope}",
        [sql_date(day), *scope_params],
    )
    scope, scope_params = owned("a.customer_id", owner_id)
    [spent] = await fetch(
        f"SELECT {money_sum_sql('a.amount')} AS amount FROM allocation a "
        f"LEFT JOIN payment p ON p.id = a.payment_id WHERE a.is_deleted = 0 AND a.created_at < {mark} "
        f"AND (a.is_reversed = 0 OR a.reversed_at >= {mark}) "
        f"AND (a.credit_note_id IS NOT NULL OR p.customer_id IS NOT NULL){scope}",
        [end, end, *scope_params],
    )
    return money_of_sum(received["amount"]) + money_of_sum(credited["amount"]) - money_of_sum(spent["amount"])


# --- movements, usage, top customers ------------------------------------------------------------
async def movements(months: Sequence[str], owner_id: int | None) -> list[dict[str, Any]]:
    """Per service month, each customer's invoiced amount against its previous month, as SaaS
    tools show MRR movements: new (first month ever invoiced), reactivated (invoiced again after
    at least one month without), expansion, contraction, churned (nothing this month after
    something last month). A month equal to the one before moves nothing.

    One pass over the invoices gives each customer's amount in each of the 13 months (the 12
    shown and the one before) and its first month ever invoiced; crossed with the 12 months,
    each (customer, month) pair is classified and summed in the same statement. (Joining the
    per-month amounts to themselves, the textbook way, made MariaDB sort for minutes.)"""
    mark = param_mark()
    periods = [previous_month(months[0]), *months]
    scope, scope_params = owned("i.customer_id", owner_id)
    positive = f"{number_sql('i.total')} > 0"
    per_month = ", ".join(
        f"{money_sum_sql(f'(CASE WHEN i.period = {mark} THEN i.total ELSE 0 END)')} AS a{k}"
        for k in range(len(periods))
    )
    month_rows = " UNION ALL ".join(f"SELECT {k} AS k" for k in range(1, len(periods)))

    def pick(offset: int) -> str:
        cases = " ".join(f"WHEN {k} THEN g.a{k - offset}" for k in range(1, len(periods)))
        return f"CASE mo.k {cases} END"

    period_of_k = " ".join(f"WHEN {k} THEN {mark}" for k in range(1, len(periods)))
    sql = f"""
        SELECT x.k AS k, x.category AS category, COUNT(*) AS customers, SUM(x.delta) AS amount FROM (
            SELECT y.k AS k,
                   CASE WHEN y.cur = 0 THEN 'churned'
                        WHEN y.prev = 0 AND y.first_period = y.period THEN 'new'
                        WHEN y.prev = 0 THEN 'reactivated'
                        WHEN y.cur > y.prev THEN 'expansion'
                        WHEN y.cur < y.prev THEN 'contraction'
                        ELSE 'flat' END AS category,
                   y.cur - y.prev AS delta
            FROM (
                SELECT mo.k AS k, {pick(0)} AS cur, {pick(1)} AS prev, g.first_period AS first_period,
                       CASE mo.k {period_of_k} END AS period
                FROM (
                    SELECT i.customer_id AS cid, MIN(CASE WHEN {positive} THEN i.period END) AS first_period,
                           {per_month}
                    FROM invoice i
                    WHERE i.is_deleted = 0 AND i.status <> '{VOID}' AND i.period <= {mark}{scope}
                    GROUP BY i.customer_id
                ) g
                CROSS JOIN ({month_rows}) mo
            ) y
            WHERE y.cur > 0 OR y.prev > 0
        ) x
        WHERE x.category <> 'flat'
        GROUP BY x.k, x.category
    """
    params: list[Any] = [*months, *periods, periods[-1], *scope_params]
    result: dict[str, dict[str, Any]] = {
        month: {
            "month": month,
            **{k: ZERO for k in MOVEMENTS},
            "net": ZERO,
            "counts": dict.fromkeys(MOVEMENTS, 0),
        }
        for month in months
    }
    for row in await fetch(sql, params):
        entry = result[months[int(row["k"]) - 1]]
        value = decimal_of_sum(row["amount"], 2)
        entry[row["category"]] = value
        entry["net"] += value
        entry["counts"][row["category"]] = int(row["customers"])
    return list(result.values())


async def usage_by_metric(months: Sequence[str], owner_id: int | None) -> list[dict[str, Any]]:
    """Invoiced quantity and amount per metric per service month (the lines of non-void invoices)."""
    mark = param_mark()
    scope, scope_params = owned("i.customer_id", owner_id)
    # grouped on the lines alone, then joined to the few metrics (grouping the three-way join
    # carried the metric's names through every row)
    rows = await fetch(
        f"SELECT g.month AS month, g.metric_id AS metric_id, um.code AS metric_code, um.name AS metric_name, "
        f"um.unit AS unit, g.quantity AS quantity, g.amount AS amount FROM ("
        f"SELECT i.period AS month, l.metric_id AS metric_id, {decimal_sum_sql('l.quantity', 4)} AS quantity, "
        f"{money_sum_sql('l.amount')} AS amount "
        f"FROM invoice i {straight_join()} invoice_line l ON l.invoice_id = i.id "
        f"WHERE i.is_deleted = 0 AND i.status <> '{VOID}' AND i.period BETWEEN {mark} AND {mark}{scope} "
        f"GROUP BY i.period, l.metric_id) g JOIN usage_metric um ON um.id = g.metric_id "
        f"ORDER BY g.month, um.code",
        [months[0], months[-1], *scope_params],
    )
    return [
        {
            "month": row["month"],
            "metric_id": row["metric_id"],
            "metric_code": row["metric_code"],
            "metric_name": row["metric_name"],
            "unit": row["unit"],
            "quantity": decimal_of_sum(row["quantity"], 4),
            "amount": money_of_sum(row["amount"]),
        }
        for row in rows
    ]


async def top_customers(
    start: dt.date, end: dt.date, owner_id: int | None, limit: int = 10
) -> list[dict[str, Any]]:
    """The customers invoiced most in the range (non-void invoices by issue date)."""
    mark = param_mark()
    scope, scope_params = owned("i.customer_id", owner_id)
    amount = money_sum_sql("i.total")
    rows = await fetch(
        f"SELECT g.customer_id AS customer_id, c.customer_code AS customer_code, c.company_name AS company_name, "
        f"g.amount AS amount FROM (SELECT i.customer_id AS customer_id, {amount} AS amount FROM invoice i "
        f"WHERE i.is_deleted = 0 AND i.status <> '{VOID}' AND i.issue_date BETWEEN {mark} AND {mark}{scope} "
        f"GROUP BY i.customer_id ORDER BY {amount} DESC, i.customer_id LIMIT {int(limit)}) g "
        f"JOIN customer c ON c.id = g.customer_id ORDER BY g.amount DESC, g.customer_id",
        [sql_date(start), sql_date(end), *scope_params],
    )
    return [
        {
            "customer_id": row["customer_id"],
            "customer_code": row["customer_code"],
            "company_name": row["company_name"],
            "invoiced": money_of_sum(row["amount"]),
        }
        for row in rows
        if money_of_sum(row["amount"]) > 0
    ]


async def customer_counts(owner_id: int | None) -> dict[str, Any]:
    """Live customers counted by status, level, industry, owner, value tier and lifecycle."""
    where = "c.is_deleted = 0"
    params: list[Any] = []
    if owner_id is not None:
        where += f" AND c.owner_id = {param_mark()}"
        params = [owner_id]
    answer: dict[str, Any] = {}
    for name, column in (
        ("by_status", "c.status"),
        ("by_level", "c.level"),
        ("by_industry", "c.industry"),
        ("by_tier", "c.value_tier"),
        ("by_lifecycle", "c.lifecycle"),
    ):
        rows = await fetch(
            f"SELECT {column} AS k, COUNT(*) AS n FROM customer c WHERE {where} GROUP BY {column} ORDER BY COUNT(*) DESC",
            params,
        )
        answer[name] = [{"key": row["k"], "count": int(row["n"])} for row in rows]
    rows = await fetch(
        f"SELECT c.owner_id AS k, COALESCE(u.display_name, u.username) AS label, COUNT(*) AS n FROM customer c "
        f"LEFT JOIN auth_user u ON u.id = c.owner_id WHERE {where} "
        f"GROUP BY c.owner_id, u.display_name, u.username ORDER BY COUNT(*) DESC",
        params,
    )
    answer["by_owner"] = [{"key": row["k"], "label": row["label"], "count": int(row["n"])} for row in rows]
    [row] = await fetch(
        f"SELECT COUNT(*) AS n, SUM(CASE WHEN c.churn_level = 'high' THEN 1 ELSE 0 END) AS high "
        f"FROM customer c WHERE {where}",
        params,
    )
    answer["total"] = int(row["n"])
    answer["high_churn_risk"] = int(row["high"] or 0)
    return answer


# --- facts the customer scores are made of ------------------------------------------------------
async def live_customers(customer_id: int | None = None) -> list[dict[str, Any]]:
    where, params = "c.is_deleted = 0", []
    if customer_id is not None:
        where += f" AND c.id = {param_mark()}"
        params.append(customer_id)
    return await fetch(
        f"SELECT c.id AS id, c.status AS status, c.signed_at AS signed_at, c.created_at AS created_at, "
        f"c.credit_limit AS credit_limit FROM customer c WHERE {where} ORDER BY c.id",
        params,
    )


def _customer_filter(column: str, customer_id: int | None) -> tuple[str, list[Any]]:
    if customer_id is None:
        return "", []
    return f" AND {column} = {param_mark()}", [customer_id]


async def trailing_invoiced(day: dt.date, customer_id: int | None = None) -> dict[int, Decimal]:
    """Σ total of non-void invoices issued in the 365 days up to ``day``, per customer."""
    mark = param_mark()
    only, only_params = _customer_filter("i.customer_id", customer_id)
    rows = await fetch(
        f"SELECT i.customer_id AS cid, {money_sum_sql('i.total')} AS amount FROM invoice i "
        f"WHERE i.is_deleted = 0 AND i.status <> '{VOID}' AND i.issue_date > {mark} AND i.issue_date <= {mark}{only} "
        f"GROUP BY i.customer_id",
        [sql_date(day - dt.timedelta(days=365)), sql_date(day), *only_params],
    )
    return {row["cid"]: money_of_sum(row["amount"]) for row in rows}


async def usage_windows(
    day: dt.date, customer_id: int | None = None
) -> dict[int, dict[int, tuple[Decimal, Decimal]]]:
    """Per customer and metric: usage of the last 30 days before ``day`` and of the 90 days
    before those (the trailing three months the recent month is compared with)."""
    mark = param_mark()
    recent_from, base_from = day - dt.timedelta(days=30), day - dt.timedelta(days=120)
    only, only_params = _customer_filter("u.customer_id", customer_id)
    recent = decimal_sum_sql(f"(CASE WHEN u.usage_day >= {mark} THEN u.quantity ELSE 0 END)", 4)
    base = decimal_sum_sql(f"(CASE WHEN u.usage_day < {mark} THEN u.quantity ELSE 0 END)", 4)
    rows = await fetch(
        f"SELECT u.customer_id AS cid, u.metric_id AS metric_id, {recent} AS recent, {base} AS base "
        f"FROM usage_record u WHERE u.usage_day >= {mark} AND u.usage_day < {mark}{only} "
        f"GROUP BY u.customer_id, u.metric_id",
        [sql_date(recent_from), sql_date(recent_from), sql_date(base_from), sql_date(day), *only_params],
    )
    found: dict[int, dict[int, tuple[Decimal, Decimal]]] = {}
    for row in rows:
        found.setdefault(row["cid"], {})[row["metric_id"]] = (
            decimal_of_sum(row["recent"], 4),
            decimal_of_sum(row["base"], 4),
        )
    return found


async def last_usage_days(day: dt.date, customer_id: int | None = None) -> dict[int, dt.date]:
    """The last day before ``day`` each customer had any usage."""
    only, only_params = _customer_filter("u.customer_id", customer_id)
    # a day reported with 0 is a day without usage: compared as a number, since SQLite keeps
    # the DECIMAL as text ('0.0000' <> 0 would hold there and count zeros as usage)
    rows = await fetch(
        f"SELECT u.customer_id AS cid, MAX(u.usage_day) AS last_day FROM usage_record u "
        f"WHERE u.usage_day < {param_mark()} AND {number_sql('u.quantity')} <> 0{only} GROUP BY u.customer_id",
        [sql_date(day), *only_params],
    )
    return {row["cid"]: as_date(row["last_day"]) for row in rows if row["last_day"] is not None}


def as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


async def open_invoices(day: dt.date, customer_id: int | None = None) -> dict[int, dict[str, Any]]:
    """Per customer, the invoices open now: how many are overdue on ``day``, for how much, the
    oldest due date among them, and the outstanding of all open invoices."""
    mark = param_mark()
    only, only_params = _customer_filter("i.customer_id", customer_id)
    overdue = f"i.due_date < {mark}"
    rows = await fetch(
        f"SELECT i.customer_id AS cid, SUM(CASE WHEN {overdue} THEN 1 ELSE 0 END) AS overdue_count, "
        f"{_sum_case(overdue, 'i.outstanding')} AS overdue_amount, "
        f"MIN(CASE WHEN {overdue} THEN i.due_date END) AS oldest_due, "
        f"{money_sum_sql('i.outstanding')} AS outstanding "
        f"FROM invoice i WHERE i.is_deleted = 0 AND i.status IN ({mark}, {mark}){only} GROUP BY i.customer_id",
        [sql_date(day), sql_date(day), sql_date(day), *OPEN_STATUSES, *only_params],
    )
    return {
        row["cid"]: {
            "overdue_count": int(row["overdue_count"] or 0),
            "overdue_amount": money_of_sum(row["overdue_amount"]),
            "longest_overdue_days": (day - as_date(row["oldest_due"])).days if row["oldest_due"] else 0,
            "outstanding": money_of_sum(row["outstanding"]),
        }
        for row in rows
    }


async def payment_behaviour(day: dt.date, customer_id: int | None = None) -> dict[int, dict[str, int]]:
    """Per customer, over the non-void invoices (total > 0) due in the 365 days before ``day``:
    how many were due, how many were settled by their due date, and the days late summed (a
    settled invoice: settled date − due date, if positive; one still open: ``day`` − due date)."""
    mark = param_mark()
    only, only_params = _customer_filter("i.customer_id", customer_id)
    settled = f"i.status = '{InvoiceStatus.SETTLED.value}' AND i.settled_at < {mark}"
    settled_day = local_date_sql("i.settled_at", get_settings().tz)
    late_if_settled = days_between_sql(settled_day, "i.due_date")
    rows = await fetch(
        f"SELECT i.customer_id AS cid, COUNT(*) AS due, "
        f"SUM(CASE WHEN {settled} AND {settled_day} <= i.due_date THEN 1 ELSE 0 END) AS on_time, "
        f"SUM(CASE WHEN {settled} THEN (CASE WHEN {late_if_settled} > 0 THEN {late_if_settled} ELSE 0 END) "
        f"ELSE {days_between_sql(mark, 'i.due_date')} END) AS days_late "
        f"FROM invoice i WHERE i.is_deleted = 0 AND i.status <> '{VOID}' AND {number_sql('i.total')} > 0 "
        f"AND i.due_date < {mark} AND i.due_date >= {mark}{only} GROUP BY i.customer_id",
        [
            sql_timestamp(end_of_day(day)),
            sql_timestamp(end_of_day(day)),
            sql_date(day),
            sql_date(day),
            sql_date(day - dt.timedelta(days=365)),
            *only_params,
        ],
    )
    return {
        row["cid"]: {
            "due": int(row["due"]),
            "on_time": int(row["on_time"] or 0),
            "days_late": int(row["days_late"] or 0),
        }
        for row in rows
    }
