"""Analytics use cases: the dashboard (blocks that fail one by one), the aging report on screen,
one customer's analytics, and the nightly customer scoring (idempotent per date)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tortoise.transactions import in_transaction

from opcms.analytics import queries, scoring
from opcms.analytics.models import CustomerScore
from opcms.billing import queries as billing_queries
from opcms.core.db import (
    decimal_of_sum,
    decimal_sum_sql,
    money_of_sum,
    money_sum_sql,
    month_sql,
    param_mark,
    sql_date,
)
from opcms.core.errors import NotFound
from opcms.core.i18n import EN, current_language, render, template
from opcms.core.models import get_or_404, utcnow
from opcms.core.money import ZERO
from opcms.core.settings import get_settings
from opcms.customers.models import Customer
from opcms.pricing import engine
from opcms.pricing.models import PricingPlan, PricingPlanVersion, Subscription
from opcms.pricing.service import terms_of
from opcms.settlement.models import Invoice, PaymentStatus

log = logging.getLogger(__name__)

ONE_PLACE = Decimal("0.1")


@dataclass(frozen=True)
class Board:
    """What a dashboard is asked for: a date range, the day it is computed on, whose customers."""

    start: dt.date
    end: dt.date
    as_of: dt.date
    owner_id: int | None  # None: every customer

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous(self) -> tuple[dt.date, dt.date]:
        """The range of equal length just before."""
        end = self.start - dt.timedelta(days=1)
        return end - dt.timedelta(days=self.days - 1), end


def change(value: Decimal | None, previous: Decimal | None) -> Decimal | None:
    """Relative change in percent (one decimal); none against nothing."""
    if value is None or previous is None or previous == 0:
        return None
    return ((value - previous) / abs(previous) * 100).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def figure(value: Decimal | None, previous: Decimal | None) -> dict[str, Any]:
    return {"value": value, "previous": previous, "change": change(value, previous)}


def ratio(part: Decimal, whole: Decimal, scale: int) -> Decimal | None:
    if whole == 0:
        return None
    return (part / whole * scale).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


# --- dashboard blocks ---------------------------------------------------------------------------
async def figures_block(board: Board) -> dict[str, Any]:
    owner = board.owner_id
    previous = board.previous
    invoiced, invoiced_before = await queries.invoiced_in([(board.start, board.end), previous], owner)
    collected, collected_before = await queries.collected_in([(board.start, board.end), previous], owner)
    buckets = await queries.aging_buckets(board.as_of, owner)
    receivable = sum((b["amount"] for b in buckets), ZERO)
    overdue = sum((b["amount"] for b in buckets[1:]), ZERO)
    [before] = await queries.balances_at([previous[1]], owner)
    credit, credit_before = await queries.credit_now(owner), await queries.credit_at(previous[1], owner)
    dso = ratio(receivable, invoiced, board.days)
    dso_before = ratio(before["receivable"], invoiced_before, board.days)
    return {
        "invoiced": figure(invoiced, invoiced_before),
        "collected": figure(collected, collected_before),
        "receivable": figure(receivable, before["receivable"]),
        "overdue": {**figure(overdue, before["overdue"]), "count": sum(b["count"] for b in buckets[1:])},
        "credit": figure(credit, credit_before),
        "dso": figure(dso, dso_before),
        "collection_rate": figure(
            ratio(collected, invoiced, 100), ratio(collected_before, invoiced_before, 100)
        ),
    }


async def aging_block(board: Board) -> list[dict[str, Any]]:
    return await queries.aging_buckets(board.as_of, board.owner_id)


async def trend_block(board: Board) -> list[dict[str, Any]]:
    months = queries.months_ending(board.end, 12)
    sums = await queries.monthly_sums(months, board.owner_id)
    ends = [min(queries.month_end(month), board.as_of) for month in months]
    balances = await queries.balances_at(ends, board.owner_id, figures=("overdue",))
    return [
        {"month": month, **sums[month], "overdue_at_month_end": balance["overdue"]}
        for month, balance in zip(months, balances, strict=True)
    ]


def service_months(board: Board) -> list[str]:
    """The 12 service months up to the last one invoiced by the end of the range (a month is
    invoiced on the 1st of the next)."""
    return queries.months_ending(board.end.replace(day=1) - dt.timedelta(days=1), 12)


async def movements_block(board: Board) -> list[dict[str, Any]]:
    return await queries.movements(service_months(board), board.owner_id)


async def usage_block(board: Board) -> list[dict[str, Any]]:
    return await queries.usage_by_metric(service_months(board), board.owner_id)


async def top_customers_block(board: Board) -> list[dict[str, Any]]:
    return await queries.top_customers(board.start, board.end, board.owner_id)


async def customers_block(board: Board) -> dict[str, Any]:
    return await queries.customer_counts(board.owner_id)


BLOCK_BUILDERS: dict[str, Callable[[Board], Awaitable[Any]]] = {
    "figures": figures_block,
    "aging": aging_block,
    "trend": trend_block,
    "movements": movements_block,
    "usage": usage_block,
    "top_customers": top_customers_block,
    "customers": customers_block,
}
#: the blocks of a board, in the order they are answered
BLOCKS = tuple(BLOCK_BUILDERS)


async def _guarded(name: str, board: Board, timeout: float) -> tuple[Any, dict[str, str] | None]:
    try:
        return await asyncio.wait_for(BLOCK_BUILDERS[name](board), timeout), None
    except TimeoutError:
        log.warning("dashboard block %s timed out after %ss", name, timeout)
        return None, {"figure": name, "message": f"took longer than {timeout:g} s"}
    except Exception as exc:  # noqa: BLE001 — one figure failing must not fail the board
        log.exception("dashboard block %s failed", name)
        return None, {"figure": name, "message": f"could not be computed ({type(exc).__name__})"}


async def dashboard(board: Board) -> dict[str, Any]:
    """The board, computed as :func:`compute_dashboard` does, or the same board computed
    earlier when nothing has been written since (:class:`BoardMemo`)."""
    version = await ledger_version()
    remembered = BOARDS.get(board, version)
    if remembered is not None:
        return remembered
    answer = await compute_dashboard(board)
    if not answer["errors"]:  # a block that failed is tried again next time
        BOARDS.put(board, version, answer)
    return answer


async def compute_dashboard(board: Board) -> dict[str, Any]:
    """Every block computed on its own (concurrently, each on a connection of the pool where
    there is one); a block that fails or times out answers null and names itself in ``errors``."""
    timeout = get_settings().analytics_block_timeout_seconds
    results = await asyncio.gather(*(_guarded(name, board, timeout) for name in BLOCKS))
    previous_from, previous_to = board.previous
    answer: dict[str, Any] = {
        "as_of": board.as_of,
        "start": board.start,
        "end": board.end,
        "previous_from": previous_from,
        "previous_to": previous_to,
        "owner_id": board.owner_id,
        "computed_at": utcnow(),
        "scores_computed_at": await latest_scores_at(),
        "errors": [error for _, error in results if error is not None],
    }
    for name, (value, _) in zip(BLOCKS, results, strict=True):
        answer[name] = value
    return answer


LedgerVersion = tuple[Any, ...]


async def ledger_version() -> LedgerVersion:
    """What the board is computed from, as a value that changes with every change: the last
    audit row (every write of invoices, lines, payments, allocations, credit notes and
    customers appends one, in the write's own transaction) and the last stored score (the
    scoring job writes scores without audit rows), each by id and time — ids alone could come
    round again on a database emptied and refilled. Two primary-key lookups."""
    audit = await queries.fetch("SELECT id, occurred_at FROM audit_log ORDER BY id DESC LIMIT 1")
    scores = await queries.fetch("SELECT id, computed_at FROM customer_score ORDER BY id DESC LIMIT 1")
    return (
        *((audit[0]["id"], str(audit[0]["occurred_at"])) if audit else (0, "")),
        *((scores[0]["id"], str(scores[0]["computed_at"])) if scores else (0, "")),
    )


class BoardMemo:
    """Boards computed in this process, each kept with the ledger version it was computed
    from. A board is handed out again only while the version is unchanged, that is while
    nothing it reads has been written: the answer is the one a new computation would give,
    never an older one. The version is read before computing, so a write made during the
    computation makes the next request compute again. Holds the last ``size`` boards."""

    def __init__(self, size: int = 32) -> None:
        self.size = size
        self._boards: OrderedDict[Board, tuple[LedgerVersion, dict[str, Any]]] = OrderedDict()

    def get(self, board: Board, version: LedgerVersion) -> dict[str, Any] | None:
        found = self._boards.get(board)
        if found is None or found[0] != version:
            return None
        self._boards.move_to_end(board)
        return found[1]

    def put(self, board: Board, version: LedgerVersion, answer: dict[str, Any]) -> None:
        self._boards[board] = (version, answer)
        self._boards.move_to_end(board)
        while len(self._boards) > self.size:
            self._boards.popitem(last=False)

    def clear(self) -> None:
        self._boards.clear()


BOARDS = BoardMemo()


async def latest_scores_at() -> dt.datetime | None:
    row = await CustomerScore.all().order_by("-score_day", "-computed_at").first()
    return row.computed_at if row else None


# --- aging report on screen ---------------------------------------------------------------------
AGING_SORTS = ("customer_code", "company_name", "current", "d1_30", "d31_60", "d61_90", "d90_plus", "total")
AGING_COLUMNS = ("current", "d1_30", "d31_60", "d61_90", "d90_plus", "total")


async def aging_report(
    as_of: dt.date,
    *,
    owner_id: int | None,
    customer_id: int | None,
    sort: str,
    page: int,
    page_size: int,
) -> dict[str, Any]:
    """The aging report per customer (the same numbers as its workbook), sorted and paged, with
    the bucket summary and a total row over every matching customer."""
    report = await billing_queries.aging(as_of, owner_id=owner_id, customer_id=customer_id)
    customers: list[dict[str, Any]] = report["customers"]
    key = sort.lstrip("-")
    # ties in customer-code order whichever way the column runs, as the workbook lists them
    customers.sort(key=lambda c: (c["customer_code"], c["customer_id"]))
    customers.sort(key=lambda c: c[key], reverse=sort.startswith("-"))
    totals: dict[str, Any] = {name: sum((c[name] for c in customers), ZERO) for name in AGING_COLUMNS}
    totals["customers"] = len(customers)
    start = (page - 1) * page_size
    return {
        "as_of": as_of,
        "buckets": report["buckets"],
        "totals": totals,
        "items": customers[start : start + page_size],
        "total": len(customers),
        "page": page,
        "page_size": page_size,
    }


async def aging_invoices(customer_id: int, as_of: dt.date) -> dict[str, Any]:
    """One customer's open invoices with their days past due and bucket (the report's drill-down)."""
    customer = await get_or_404(Customer, customer_id, "customer")
    invoices = (
        await Invoice.filter(customer_id=customer_id, status__in=queries.OPEN_STATUSES, issue_date__lte=as_of)
        .order_by("due_date", "id")
        .limit(1000)
    )
    items = []
    for invoice in invoices:
        days = (as_of - invoice.due_date).days
        items.append(
            {
                "id": invoice.id,
                "number": invoice.number,
                "period": invoice.period,
                "issue_date": invoice.issue_date,
                "due_date": invoice.due_date,
                "total": invoice.total,
                "outstanding": invoice.outstanding,
                "status": invoice.status.value,
                "days_past_due": max(0, days),
                "bucket": billing_queries.bucket_of(days),
            }
        )
    return {
        "as_of": as_of,
        "customer_id": customer_id,
        "customer_code": customer.customer_code,
        "company_name": customer.company_name,
        "items": items,
    }


# --- one customer's analytics -------------------------------------------------------------------
async def customer_analytics(customer_id: int, as_of: dt.date) -> dict[str, Any]:
    rows = await queries.live_customers(customer_id)
    if not rows:
        raise NotFound.entity("customer", customer_id)
    mark = param_mark()
    daily_from = as_of - dt.timedelta(days=90)
    months = queries.months_ending(as_of, 13)
    metrics = {
        row["id"]: row
        for row in await queries.fetch("SELECT id, code, name, unit FROM usage_metric WHERE is_deleted = 0")
    }

    daily_rows = await queries.fetch(
        f"SELECT u.metric_id AS metric_id, u.usage_day AS day, {decimal_sum_sql('u.quantity', 4)} AS quantity "
        f"FROM usage_record u WHERE u.customer_id = {mark} AND u.usage_day >= {mark} AND u.usage_day < {mark} "
        f"GROUP BY u.metric_id, u.usage_day",
        [customer_id, sql_date(daily_from), sql_date(as_of)],
    )
    monthly_rows = await queries.fetch(
        f"SELECT u.metric_id AS metric_id, {month_sql('u.usage_day')} AS month, "
        f"{decimal_sum_sql('u.quantity', 4)} AS quantity FROM usage_record u "
        f"WHERE u.customer_id = {mark} AND u.usage_day >= {mark} AND u.usage_day <= {mark} "
        f"GROUP BY u.metric_id, {month_sql('u.usage_day')}",
        # from the month before the first shown: the first month's change is against it too
        [
            customer_id,
            sql_date(dt.date.fromisoformat(queries.previous_month(months[0]) + "-01")),
            sql_date(as_of),
        ],
    )
    daily: dict[int, dict[dt.date, Decimal]] = {}
    for row in daily_rows:
        daily.setdefault(row["metric_id"], {})[queries.as_date(row["day"])] = decimal_of_sum(
            row["quantity"], 4
        )
    monthly: dict[int, dict[str, Decimal]] = {}
    for row in monthly_rows:
        monthly.setdefault(row["metric_id"], {})[row["month"]] = decimal_of_sum(row["quantity"], 4)
    zero = Decimal("0.0000")
    days = [daily_from + dt.timedelta(days=n) for n in range(90)]

    def metric_head(metric_id: int) -> dict[str, Any]:
        metric = metrics.get(metric_id, {"code": str(metric_id), "name": str(metric_id), "unit": ""})
        return {
            "metric_id": metric_id,
            "metric_code": metric["code"],
            "metric_name": metric["name"],
            "unit": metric["unit"],
        }

    usage_daily = [
        {**metric_head(m), "points": [{"day": d, "quantity": daily[m].get(d, zero)} for d in days]}
        for m in sorted(daily)
    ]
    usage_monthly = []
    for m in sorted(monthly):
        if not any(month in monthly[m] for month in months):
            continue  # used in the month before the 13 only: not a series of its own
        points, before = [], monthly[m].get(queries.previous_month(months[0]))
        for month in months:
            quantity = monthly[m].get(month, zero)
            points.append({"month": month, "quantity": quantity, "change": change(quantity, before)})
            before = quantity
        usage_monthly.append({**metric_head(m), "points": points})

    invoiced = {
        row["month"]: money_of_sum(row["amount"])
        for row in await queries.fetch(
            f"SELECT i.period AS month, {money_sum_sql('i.total')} AS amount FROM invoice i "
            f"WHERE i.customer_id = {mark} AND i.is_deleted = 0 AND i.status <> '{queries.VOID}' "
            f"AND i.period BETWEEN {mark} AND {mark} GROUP BY i.period",
            [customer_id, months[0], months[-1]],
        )
    }
    paid = {
        row["month"]: money_of_sum(row["amount"])
        for row in await queries.fetch(
            f"SELECT {month_sql('p.received_on')} AS month, {money_sum_sql('p.amount')} AS amount FROM payment p "
            f"WHERE p.customer_id = {mark} AND p.is_deleted = 0 AND p.status <> '{PaymentStatus.VOID.value}' "
            f"AND p.received_on BETWEEN {mark} AND {mark} GROUP BY {month_sql('p.received_on')}",
            [customer_id, sql_date(dt.date.fromisoformat(months[0] + "-01")), sql_date(as_of)],
        )
    }
    behaviour = (await queries.payment_behaviour(as_of, customer_id)).get(customer_id)
    open_now = (await queries.open_invoices(as_of, customer_id)).get(customer_id, {})
    due = behaviour["due"] if behaviour else 0
    score = await CustomerScore.filter(customer_id=customer_id).order_by("-score_day").first()
    return {
        "customer_id": customer_id,
        "as_of": as_of,
        "usage_daily": usage_daily,
        "usage_monthly": usage_monthly,
        "billing_monthly": [
            {"month": month, "invoiced": invoiced.get(month, ZERO), "paid": paid.get(month, ZERO)}
            for month in months
        ],
        "payment_behaviour": {
            "invoices_due": due,
            "on_time": behaviour["on_time"] if behaviour else 0,
            "on_time_ratio": ratio(Decimal(behaviour["on_time"]), Decimal(due), 100) if behaviour else None,
            "average_days_late": ratio(Decimal(behaviour["days_late"]), Decimal(due), 1)
            if behaviour
            else None,
            "longest_overdue_days": open_now.get("longest_overdue_days", 0),
            "overdue_amount": open_now.get("overdue_amount", ZERO),
        },
        "score": None if score is None else score_answer(score),
    }


def _in_language(items: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    """The reasons (or factors) of a score with their message in the reader's language: kept as
    the nightly job wrote it (English), or the catalog's ``<kind>_<code>`` text from the values
    each one keeps (``value``, ``count``, ``from_plan``…; ``_none`` when it has no value)."""
    if current_language() == EN:
        return items
    out = []
    for item in items:
        code = f"{kind}_{item.get('code')}" + ("_none" if item.get("value") is None else "")
        params = {name: value for name, value in item.items() if name not in ("message", "code")}
        if isinstance(params.get("value"), str) and params["value"].lstrip("-").replace(".", "", 1).isdigit():
            params["percent"] = f"{Decimal(params['value']):+.1f}".replace("-", "−")
        text = render(code, params, fallback=item.get("message")) if template(code) else item.get("message")
        out.append({**item, "message": text})
    return out


def score_answer(score: CustomerScore) -> dict[str, Any]:
    return {
        "score_day": score.score_day,
        "computed_at": score.computed_at,
        "value_tier": score.value_tier,
        "trailing_invoiced": score.trailing_invoiced,
        "lifecycle": score.lifecycle,
        "churn": {
            "score": score.churn_score,
            "level": score.churn_level,
            "reasons": _in_language(score.churn_reasons, "churn"),
        },
        "credit": {"score": score.credit_score, "factors": _in_language(score.credit_factors, "credit")},
    }


# --- nightly scoring ----------------------------------------------------------------------------
async def gather_facts(day: dt.date, customer_id: int | None = None) -> list[scoring.CustomerFacts]:
    """Every live customer's facts on ``day``, from a handful of GROUP BY queries."""
    customers = await queries.live_customers(customer_id)
    trailing = await queries.trailing_invoiced(day, customer_id)
    usage = await queries.usage_windows(day, customer_id)
    last_days = await queries.last_usage_days(day, customer_id)
    open_now = await queries.open_invoices(day, customer_id)
    behaviour = await queries.payment_behaviour(day, customer_id)
    moves = await plan_moves(day, usage, customer_id)
    facts = []
    for row in customers:
        cid = row["id"]
        began = row["signed_at"] or row["created_at"]
        began_day = queries.as_date(began)
        facts.append(
            scoring.CustomerFacts(
                customer_id=cid,
                status=str(row["status"]),
                tenure_days=max(0, (day - began_day).days),
                credit_limit=Decimal(str(row["credit_limit"] or 0)),
                trailing_invoiced=trailing.get(cid, ZERO),
                usage=usage.get(cid, {}),
                last_usage_day=last_days.get(cid),
                **open_now.get(cid, {}),
                invoices_due=behaviour.get(cid, {}).get("due", 0),
                on_time=behaviour.get(cid, {}).get("on_time", 0),
                days_late=behaviour.get(cid, {}).get("days_late", 0),
                plan_moves=moves.get(cid, []),
            )
        )
    return facts


async def plan_moves(
    day: dt.date, usage: dict[int, dict[int, tuple[Decimal, Decimal]]], customer_id: int | None
) -> dict[int, list[scoring.PlanMove]]:
    """Subscriptions that started in the last 90 days replacing one of the same customer and
    metric on another plan, with the monthly charge at the customer's recent usage on each."""
    recent = Subscription.filter(effective_from__gt=day - dt.timedelta(days=90), effective_from__lte=day)
    if customer_id is not None:
        recent = recent.filter(customer_id=customer_id)
    started = await recent
    if not started:
        return {}
    # four reads whatever the number of moves: the earlier subscriptions of these customers, the
    # versions of every plan involved, and the plans' codes
    earlier = await Subscription.filter(
        customer_id__in={s.customer_id for s in started}, effective_from__lt=day
    ).order_by("-effective_from", "-id")
    plan_ids = {s.plan_id for s in started} | {s.plan_id for s in earlier}
    versions = await PricingPlanVersion.filter(plan_id__in=plan_ids, effective_from__lte=day).order_by(
        "-effective_from"
    )
    codes = dict(await PricingPlan.filter(id__in=plan_ids).values_list("id", "code"))

    def in_force(plan_id: int, on: dt.date) -> PricingPlanVersion | None:
        return next((v for v in versions if v.plan_id == plan_id and v.effective_from <= on), None)

    moves: dict[int, list[scoring.PlanMove]] = {}
    for new in started:
        old = next(
            (
                s
                for s in earlier
                if s.customer_id == new.customer_id
                and s.metric_id == new.metric_id
                and s.effective_from < new.effective_from
                and s.plan_id != new.plan_id
            ),
            None,
        )
        if old is None:
            continue
        recent_usage, base = usage.get(new.customer_id, {}).get(new.metric_id, (Decimal(0), Decimal(0)))
        quantity = base / 3 if base > 0 else recent_usage
        before = in_force(old.plan_id, new.effective_from - dt.timedelta(days=1))
        after = in_force(new.plan_id, day)
        if before is None or after is None:
            continue
        was, now = (
            engine.price(terms_of(before), quantity).amount,
            engine.price(terms_of(after), quantity).amount,
        )
        if was == 0:
            continue
        moves.setdefault(new.customer_id, []).append(
            scoring.PlanMove(
                from_plan=codes.get(old.plan_id, str(old.plan_id)),
                to_plan=codes.get(new.plan_id, str(new.plan_id)),
                change_percent=((now - was) / was * 100).quantize(ONE_PLACE, rounding=ROUND_HALF_UP),
            )
        )
    return moves


def score_rows(
    facts: list[scoring.CustomerFacts], day: dt.date, execution_id: int | None
) -> list[CustomerScore]:
    settings = get_settings()
    computed_at = utcnow()
    rows = []
    for fact in facts:
        churn_score, churn_level, reasons = scoring.churn(fact, day)
        credit_score, factors = scoring.credit(fact)
        rows.append(
            CustomerScore(
                customer_id=fact.customer_id,
                score_day=day,
                value_tier=scoring.value_tier(
                    fact.trailing_invoiced, settings.tier_s_min, settings.tier_a_min, settings.tier_b_min
                ).value,
                trailing_invoiced=fact.trailing_invoiced,
                lifecycle=scoring.lifecycle(fact, day).value,
                churn_score=churn_score,
                churn_level=churn_level.value,
                churn_reasons=reasons,
                credit_score=credit_score,
                credit_factors=factors,
                computed_at=computed_at,
                execution_id=execution_id,
            )
        )
    return rows


# the latest scores copied onto the customer row: portable correlated sub-selects (one per
# column), for the customers scored that day whose copy is not of a later day
COPIED = ("value_tier", "lifecycle", "churn_score", "churn_level", "credit_score")


def _copy_latest_sql() -> str:
    mark = param_mark()
    sets = ", ".join(
        f"{column} = (SELECT s.{column} FROM customer_score s WHERE s.customer_id = customer.id AND s.score_day = {mark})"
        for column in COPIED
    )
    return (
        f"UPDATE customer SET {sets}, scored_on = {mark} "
        f"WHERE id IN (SELECT customer_id FROM customer_score WHERE score_day = {mark}) "
        f"AND (scored_on IS NULL OR scored_on <= {mark})"
    )


async def score_customers(day: dt.date, execution_id: int | None = None, batch: int = 1000) -> dict[str, int]:
    """Score every live customer on ``day``: replaces that day's rows (idempotent per date) and
    copies them onto the customers unless a later day's scores are there already."""
    facts = await gather_facts(day)
    rows = score_rows(facts, day, execution_id)
    async with in_transaction() as conn:
        await CustomerScore.filter(score_day=day).using_db(conn).delete()
        for start in range(0, len(rows), batch):
            await CustomerScore.bulk_create(rows[start : start + batch], using_db=conn)
        params = [sql_date(day)] * (len(COPIED) + 3)
        await conn.execute_query(_copy_latest_sql(), params)
    levels = {"high": 0, "watch": 0}
    for row in rows:
        if row.churn_level in levels:
            levels[row.churn_level] += 1
    return {"customers": len(rows), "churn_high": levels["high"], "churn_watch": levels["watch"]}
