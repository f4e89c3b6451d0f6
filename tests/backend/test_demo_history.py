"""The demo's 13 months of history (``opcms seed-demo``): usage with its stories, an invoice run
per month issued on the 1st of the month after, and money received the way each customer pays
— so that every aging bucket, the reconciliation pages and the scores have real data on the
first run."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from opcms.billing.queries import bucket_of
from opcms.core.context import acting_as, system_actor
from opcms.core.periods import period_bounds
from opcms.core.settings import business_today, get_settings
from opcms.customers.models import Customer
from opcms.demo.billing import UNKNOWN_PAYER_REFERENCE, seed_invoices_and_payments
from opcms.demo.cast import HISTORY_MONTHS
from opcms.demo.customers import seed_customers
from opcms.demo.usage import seed_pricing_and_usage
from opcms.jobs.models import TaskExecution
from opcms.pricing.models import Subscription
from opcms.settlement.allocations import auto_reconcile
from opcms.settlement.models import Allocation, Invoice, Payment
from opcms.usage.models import UsageRecord

CUSTOMERS = 24


def months_before(day: dt.date, months: int) -> str:
    index = day.year * 12 + day.month - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


async def seed() -> list[bool]:
    with acting_as(system_actor("seed-demo")):
        return [
            await seed_customers(CUSTOMERS) > 0,
            await seed_pricing_and_usage(history_months=HISTORY_MONTHS),
            await seed_invoices_and_payments(),
        ]


async def counts() -> dict[str, int]:
    tables = (Customer, Subscription, UsageRecord, Invoice, Payment, Allocation, TaskExecution)
    return {model.__name__: await model.all().count() for model in tables}


async def test_the_demo_has_thirteen_months_of_history_in_every_state(db):
    # given the demo seeded for two dozen customers
    assert await seed() == [True, True, True]
    today = business_today()
    customers = {c.id: c for c in await Customer.all()}
    invoices = await Invoice.all()

    # then 13 months are invoiced, each by its own run, issued on the 1st of the month after
    # and due after the customer's payment terms
    periods = sorted({i.period for i in invoices})
    assert periods == [months_before(today, n) for n in range(HISTORY_MONTHS, 0, -1)]
    assert await TaskExecution.filter(task_name="billing.run_period", status="success").count() == 13
    for invoice in invoices:
        assert invoice.issue_date == period_bounds(invoice.period)[1] + dt.timedelta(days=1)
        terms = customers[invoice.customer_id].payment_terms_days
        assert invoice.due_date == invoice.issue_date + dt.timedelta(days=terms)
    live = [(i.customer_id, i.period) for i in invoices if i.status != "void"]
    assert len(live) == len(set(live)), "one non-void invoice per customer and period"

    # and today there are invoices not due yet and overdue ones in every aging bucket
    open_buckets = {bucket_of((today - i.due_date).days) for i in invoices if i.outstanding > 0}
    assert open_buckets == {"current", "1-30", "31-60", "61-90", "90+"}

    # and money came in on time, late and in part, never after today
    rows = await Allocation.all().values_list(
        "amount", "invoice__total", "invoice__due_date", "payment__received_on", "created_at"
    )
    days_late = [(received - due).days for _, _, due, received, _ in rows]
    assert sum(1 for d in days_late if d <= 0) > len(days_late) / 2, "most pay on time"
    assert any(5 <= d <= 60 for d in days_late), "a late payment"
    assert any(Decimal(amount) < Decimal(total) for amount, total, *_ in rows), "a partial payment"
    assert any(i.status == "partially_settled" for i in invoices)
    payments = await Payment.all()
    assert max(p.received_on for p in payments) <= today

    # and the ledger is dated as the money came: each allocation on the day its payment was
    # received, each settled invoice on the day its last payment was
    tz = get_settings().tz
    assert all(at.astimezone(tz).date() == received for *_, received, at in rows)
    last_received: dict[int, dt.date] = {}
    for invoice_id, received in await Allocation.all().values_list("invoice_id", "payment__received_on"):
        last_received[invoice_id] = max(received, last_received.get(invoice_id, received))
    settled = [i for i in invoices if i.status == "settled"]
    assert settled and all(i.settled_at.astimezone(tz).date() == last_received[i.id] for i in settled)
    assert all(p.received_on >= min(i.issue_date for i in invoices) for p in payments)

    # and one payment waits for reconciliation with an exact match, another for its payer
    waiting = [p for p in payments if p.customer_id is not None and p.status == "unallocated"]
    assert len(waiting) == 1
    planned = (await auto_reconcile(dry_run=True)).planned
    assert [(p["payment_id"], p["amount"]) for p in planned] == [(waiting[0].id, waiting[0].amount)]
    unknown = [p for p in payments if p.bank_reference == UNKNOWN_PAYER_REFERENCE]
    assert len(unknown) == 1 and unknown[0].customer_id is None

    # and usage tells its stories: from the signing day on, one customer falling away, one
    # without usage for three weeks, a new one
    usage: dict[int, dict[dt.date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for customer_id, day, quantity in await UsageRecord.all().values_list(
        "customer_id", "usage_day", "quantity"
    ):
        usage[customer_id][day] += Decimal(quantity)
    first_day = period_bounds(periods[0])[0]
    assert min(min(days) for days in usage.values()) == first_day
    for customer_id, days in usage.items():
        signed = customers[customer_id].signed_at
        assert signed is not None and min(days) == max(signed, first_day)
        assert max(days) < today

    def daily(days: dict[dt.date, Decimal], first: int, last: int) -> Decimal:
        """Average usage per day from ``first`` to ``last`` days ago (inclusive)."""
        span = [today - dt.timedelta(days=n) for n in range(last, first - 1, -1)]
        return sum((days.get(d, Decimal(0)) for d in span), Decimal(0)) / len(span)

    falling = [
        cid for cid, days in usage.items() if daily(days, 1, 30) < Decimal("0.6") * daily(days, 31, 120)
    ]
    assert falling, "a customer whose usage falls away"
    subscribed = set(await Subscription.filter(effective_to=None).values_list("customer_id", flat=True))
    stopped = [cid for cid in subscribed & set(usage) if max(usage[cid]) <= today - dt.timedelta(days=21)]
    assert len(stopped) == 1, "one subscribed customer without usage for three weeks"
    assert any(today - customers[cid].signed_at <= dt.timedelta(days=90) for cid in usage), "a new customer"

    # and one customer moved up to the bigger plan months ago, one down to the cheaper one lately
    moves = await Subscription.filter(effective_to__not_isnull=True, metric__code="api_calls").values_list(
        "customer_id", "plan__code", "effective_to"
    )
    ups, downs = [], []
    for customer_id, old_plan, last_day in moves:
        new_plan = await Subscription.filter(
            customer_id=customer_id, metric__code="api_calls", effective_from=last_day + dt.timedelta(days=1)
        ).values_list("plan__code", flat=True)
        if (old_plan, new_plan) == ("API-STD", ["API-PRO"]):
            ups.append((today - last_day).days)
        if (old_plan, new_plan) == ("API-PRO", ["API-STD"]):
            downs.append((today - last_day).days)
    assert len(ups) == 1 and ups[0] > 90, ups
    assert len(downs) == 1 and downs[0] <= 62, downs

    # and the trailing twelve months invoiced spread over the value tiers (S ≥ 200,000,
    # A ≥ 50,000, B ≥ 10,000, C below)
    trailing: dict[int, Decimal] = defaultdict(Decimal)
    for invoice in invoices:
        if invoice.issue_date > today - dt.timedelta(days=365):
            trailing[invoice.customer_id] += invoice.total
    tiers = {
        "S" if t >= 200_000 else "A" if t >= 50_000 else "B" if t >= 10_000 else "C"
        for t in trailing.values()
    }
    assert {"S", "B", "C"} <= tiers, tiers

    # when the demo is seeded again, nothing is added
    before = await counts()
    assert await seed() == [False, False, False]
    assert await counts() == before
