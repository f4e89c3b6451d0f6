"""Small factories for the analytics tests: invoices written directly with the dates a case
needs (issue, due, service month, settled or voided at), real payments and allocations moved
back in time, usage rows and invoice lines. Times are business times (Asia/Shanghai)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

from tortoise import connections

from opcms.billing.models import InvoiceLine
from opcms.core.context import Actor, acting_as, system_actor
from opcms.core.db import is_mysql
from opcms.pricing.models import PricingPlanVersion
from opcms.settlement.allocations import Line, allocate, reverse
from opcms.settlement.models import Allocation, CreditNote, Invoice, InvoiceStatus
from opcms.settlement.rules import status_for
from opcms.usage.models import DataSource, UsageRecord
from tests.backend.factories import make_payment

BUSINESS = ZoneInfo("Asia/Shanghai")
_numbers = itertools.count(1)
_periods = itertools.count(0)


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A moment of a business day, in UTC as the application writes every time (the ORM stores
    an aware time as it is given, so a time in another zone would be read wrongly)."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BUSINESS).astimezone(dt.UTC)


def _fresh_period() -> str:
    # one live invoice per customer and month is a database rule; by default every invoice gets
    # a month of its own, far from the months the dashboard looks at
    n = next(_periods)
    return f"{1990 + n // 12:04d}-{n % 12 + 1:02d}"


async def invoice(
    customer,
    total: str,
    *,
    issue: dt.date,
    due: dt.date | None = None,
    period: str | None = None,
    paid: str = "0.00",
    credited: str = "0.00",
    settled_at: dt.datetime | None = None,
    voided_at: dt.datetime | None = None,
) -> Invoice:
    """An issued invoice with consistent settlement (total = credited + paid + outstanding);
    due 30 days after issue unless said; voided when ``voided_at`` is given."""
    total_d, paid_d, credited_d = Decimal(total), Decimal(paid), Decimal(credited)
    period = period or _fresh_period()
    fields = dict(
        number=f"INV-{period.replace('-', '')}-{next(_numbers):05d}",
        customer_id=customer.id,
        period=period,
        live_period=None if voided_at else period,
        issue_date=issue,
        due_date=due or issue + dt.timedelta(days=30),
        customer_code=customer.customer_code,
        company_name=customer.company_name,
        subtotal=total_d,
        total=total_d,
        credited_amount=credited_d,
        paid_amount=paid_d,
        outstanding=total_d - credited_d - paid_d,
        status=status_for(total_d, credited_d, paid_d),
        settled_at=settled_at,
    )
    if voided_at is not None:
        fields.update(
            status=InvoiceStatus.VOID,
            outstanding=Decimal("0.00"),
            voided_at=voided_at,
            voided_by="finance-test",
            void_reason="开错了",
        )
    elif fields["status"] == InvoiceStatus.SETTLED and settled_at is None:
        fields["settled_at"] = at(issue)
    with acting_as(system_actor("test-analytics")):
        return await Invoice.create(**fields)


async def credit_note(invoice_row: Invoice, amount: str, *, issue: dt.date) -> CreditNote:
    """A credit note applied in full to an invoice (written with it: the invoice's credited
    amount and outstanding move too)."""
    value = Decimal(amount)
    fresh = await Invoice.get(id=invoice_row.id)
    fresh.credited_amount += value
    fresh.outstanding -= value
    fresh.status = status_for(fresh.total, fresh.credited_amount, fresh.paid_amount)
    with acting_as(system_actor("test-analytics")):
        await fresh.save(update_fields=["credited_amount", "outstanding", "status"])
        return await CreditNote.create(
            number=f"CN-{next(_numbers):06d}",
            invoice_id=invoice_row.id,
            customer_id=invoice_row.customer_id,
            issue_date=issue,
            amount=value,
            applied_amount=value,
            credit_amount=Decimal("0.00"),
            reason="少用了",
        )


async def pay(customer, amount: str, *, received_on: dt.date, bank_reference: str | None = None):
    """A real payment through the payments service."""
    with acting_as(Actor(name="finance-test")):
        return await make_payment(
            customer, amount, received_on=received_on, bank_reference=bank_reference or f"B{next(_numbers)}"
        )


async def allocated(payment, invoice_row: Invoice, amount: str, *, made_at: dt.datetime) -> Allocation:
    """A real allocation of part of ``payment`` to ``invoice_row``, then dated ``made_at``: the
    ledger is rebuilt from timestamps, so this puts it in the past."""
    with acting_as(Actor(name="finance-test")):
        [allocation_id] = await allocate(
            payment_id=payment.id, lines=[Line(invoice_id=invoice_row.id, amount=Decimal(amount))]
        )
    await Allocation.filter(id=allocation_id).update(created_at=made_at)
    return await Allocation.get(id=allocation_id)


async def reversed_at(allocation: Allocation, when: dt.datetime) -> Allocation:
    """Reverse an allocation through the ledger, then date the reversal ``when``."""
    with acting_as(Actor(name="finance-test")):
        await reverse(allocation.id, "wrong invoice")
    await Allocation.filter(id=allocation.id).update(reversed_at=when)
    return await Allocation.get(id=allocation.id)


async def feed() -> DataSource:
    existing = await DataSource.get_or_none(name="analytics-feed")
    if existing:
        return existing
    with acting_as(system_actor("test-analytics")):
        return await DataSource.create(name="analytics-feed", adapter="demo", settings={})


async def usage(customer, metric, day: dt.date, quantity: str | int) -> UsageRecord:
    """One day's usage of one metric, as a pull writes it."""
    source = await feed()
    return await UsageRecord.create(
        customer_id=customer.id,
        metric_id=metric.id,
        usage_day=day,
        source_id=source.id,
        quantity=Decimal(str(quantity)),
    )


async def invoice_line(
    invoice_row: Invoice, plan, *, quantity: str, amount: str, position: int = 1
) -> InvoiceLine:
    """One charge on an invoice: ``quantity`` of the plan's metric for ``amount``."""
    version = await PricingPlanVersion.filter(plan_id=plan.id).order_by("version").first()
    assert version is not None
    start = dt.date.fromisoformat(invoice_row.period + "-01")
    return await InvoiceLine.create(
        invoice_id=invoice_row.id,
        position=position,
        plan_id=plan.id,
        plan_version_id=version.id,
        metric_id=plan.metric_id,
        description=f"usage {invoice_row.period}",
        mode="per_unit",
        service_from=start,
        service_to=start,
        days_active=1,
        days_in_period=1,
        quantity=Decimal(quantity),
        included_quantity=Decimal("0"),
        billed_quantity=Decimal(quantity),
        usage_amount=Decimal(amount),
        monthly_fee=Decimal("0"),
        minimum_top_up=Decimal("0"),
        discount_percent=Decimal("0"),
        discount=Decimal("0"),
        amount=Decimal(amount),
    )


# --- the worked examples of docs/analytics.md, as data ------------------------------------------
async def churn_example(customer, day: dt.date, api, sms) -> Invoice:
    """Usage −62.0 % against the 3-month average on two metrics, none for the last 14 days, and
    one invoice 35 days overdue (churn 31 + 14 + 20 = 65, high)."""
    for metric, monthly in ((api, 100_000), (sms, 1_000)):
        # the three months before the last 30 days: D−120 … D−31
        for back in (110, 80, 50):
            await usage(customer, metric, day - dt.timedelta(days=back), monthly)
        # the last 30 days: 38 % of a month, the last of it 15 days ago (14 whole days without)
        await usage(customer, metric, day - dt.timedelta(days=27), monthly * 20 // 100)
        await usage(customer, metric, day - dt.timedelta(days=15), monthly * 18 // 100)
    due = day - dt.timedelta(days=35)
    return await invoice(customer, "1000.00", issue=due - dt.timedelta(days=30), due=due)


async def credit_example(customer, day: dt.date) -> None:
    """12 invoices due in the last 365 days: 10 settled on their due date, one 7 days late, one
    open 35 days overdue (15,000.00); another 25,000.00 open, not due yet (credit score 74 on a
    100,000.00 limit after 400 days)."""
    for n in range(10):
        due = day - dt.timedelta(days=60 + 25 * n)
        await invoice(
            customer,
            "1000.00",
            paid="1000.00",
            issue=due - dt.timedelta(days=30),
            due=due,
            settled_at=at(due, 18),
        )
    late_due = day - dt.timedelta(days=45)
    await invoice(
        customer, "2000.00", paid="2000.00", issue=late_due - dt.timedelta(days=30), due=late_due,
        settled_at=at(late_due + dt.timedelta(days=7), 9),
    )  # fmt: skip
    overdue = day - dt.timedelta(days=35)
    await invoice(customer, "15000.00", issue=overdue - dt.timedelta(days=30), due=overdue)
    await invoice(customer, "25000.00", issue=day - dt.timedelta(days=5), due=day + dt.timedelta(days=25))


# --- the ledger example of the dashboard -------------------------------------------------------
async def ledger_case(customer) -> dict:
    """The worked example of docs/analytics.md with a past worth rebuilding.

    April (the previous range): P1 1,200.00 issued 04-10, due 04-25; Q1 1,200.00 received
    04-20 but allocated to P1 only on 05-03; V 300.00 issued 04-12, voided 05-02.
    May: X1 1,000.00 and X2 500.00 issued; Q2 900.00 received 05-15, 750.00 of it to X1."""
    p1 = await invoice(customer, "1200.00", issue=dt.date(2026, 4, 10), due=dt.date(2026, 4, 25))
    voided = await invoice(customer, "300.00", issue=dt.date(2026, 4, 12), voided_at=at(dt.date(2026, 5, 2)))
    x1 = await invoice(customer, "1000.00", issue=dt.date(2026, 5, 5), due=dt.date(2026, 6, 4))
    x2 = await invoice(customer, "500.00", issue=dt.date(2026, 5, 20), due=dt.date(2026, 6, 19))
    q1 = await pay(customer, "1200.00", received_on=dt.date(2026, 4, 20))
    await allocated(q1, p1, "1200.00", made_at=at(dt.date(2026, 5, 3)))
    q2 = await pay(customer, "900.00", received_on=dt.date(2026, 5, 15))
    await allocated(q2, x1, "750.00", made_at=at(dt.date(2026, 5, 15), 15))
    return {"p1": p1, "void": voided, "x1": x1, "x2": x2, "q1": q1, "q2": q2}


# --- a real failure of one dashboard block --------------------------------------------------------
def quoted(table: str) -> str:
    return f"`{table}`" if is_mysql() else f'"{table}"'


async def without_invoice_lines():
    """Rename the invoice lines' table away (a real failure of the usage block's query)."""
    conn = connections.get("default")
    await conn.execute_script(f"ALTER TABLE {quoted('invoice_line')} RENAME TO {quoted('invoice_line_gone')}")


async def with_invoice_lines_back():
    conn = connections.get("default")
    await conn.execute_script(f"ALTER TABLE {quoted('invoice_line_gone')} RENAME TO {quoted('invoice_line')}")
