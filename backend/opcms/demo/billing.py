"""Demo invoices and payments for the embedded default (``opcms seed-demo``).

An invoice run through the real pipeline for every month the demo's usage covers (the 13 months
of its history, or at least last month), each issued on the 1st of the month after, so due
dates are the customers' payment terms after that. Then money comes in the way each customer
pays (demo/cast.py), through the real payment and allocation services, never after today:

* prompt payers pay on receipt; on-time payers a few days before the due date (now and then
  late); late payers 5 to 60 days after it; partial payers part on receipt and the rest late,
  or never; debtors stopped paying some months ago;
* so today there are invoices not due yet and overdue ones in every aging bucket (1–30,
  31–60, 61–90, 90+ days past due): should the customers' due dates leave a bucket empty, a
  late payer's invoice of that age is held back (disputed, not paid yet);
* the latest invoice of a prompt payer has its payment waiting for reconciliation (an exact
  match the suggestions and auto-reconcile find), and a payment whose payer is not known yet
  (bank reference ``DEMO-UNKNOWN-PAYER``) waits for a person.

The services stamp what they write with the time they run; money received months ago would
then look entered, applied and settled today, and every figure that reads the ledger as of a
past day (the 12-month trend's overdue at month end, customer credit, on-time payment) would
tell the seed's day instead of the history. So each payment, its allocation and the invoice it
settles are dated the day the money was received, in business hours — as a person reconciling
that day would have left them. Amounts and statuses are the services' own.

Idempotent: nothing is added once an invoice exists.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from tortoise.transactions import in_transaction

from opcms.billing.run import run_period
from opcms.core.models import utcnow
from opcms.core.money import CENT, ZERO
from opcms.core.periods import period_bounds, period_of, previous_period
from opcms.core.settings import business_today, get_settings
from opcms.customers.models import Customer
from opcms.demo.cast import DEBTOR_DAYS, SEED, Member, Payer, cast, history_start, month_start
from opcms.jobs.models import Trigger
from opcms.payments.schemas import PaymentCreate
from opcms.payments.service import create_payment
from opcms.settlement.allocations import Line, allocate
from opcms.settlement.models import Allocation, Invoice, InvoiceStatus, Payment, PaymentMethod
from opcms.usage.ingest import USAGE_STATUSES
from opcms.usage.models import UsageRecord

UNKNOWN_PAYER_REFERENCE = "DEMO-UNKNOWN-PAYER"
BUSINESS_HOURS = dt.time(10)  # when the demo's money of a day was entered and reconciled
#: aging buckets past the due date: (name, first day, last day)
OVERDUE_BUCKETS = (("1-30", 1, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("90+", 91, None))


@dataclass
class PlannedPayment:
    invoice: Invoice
    received_on: dt.date
    amount: Decimal
    bank_reference: str
    method: PaymentMethod = PaymentMethod.BANK_TRANSFER
    allocated: bool = True  # False: waits for reconciliation


async def seed_invoices_and_payments() -> bool:
    """Returns False when invoices are already there (or nothing could be billed)."""
    if await Invoice.with_deleted().exists():
        return False
    today = business_today()
    for period in await periods_to_invoice(today):
        _, last = period_bounds(period)
        await run_period(period, issue_date=last + dt.timedelta(days=1), trigger=Trigger.CLI)
    invoices = await Invoice.filter(total__gt=ZERO).order_by("issue_date", "id")
    if not invoices:
        return False
    payers = await payer_roles(today)
    planned = plan_payments(invoices, payers, today)
    by_day: dict[dt.date, list[PlannedPayment]] = defaultdict(list)
    for payment in sorted(planned, key=lambda p: (p.invoice.id, p.bank_reference)):
        by_day[payment.received_on].append(payment)
    now = utcnow()
    for day in sorted(by_day):
        # a day's bank lines entered and reconciled together, dated that day
        at = min(dt.datetime.combine(day, BUSINESS_HOURS, tzinfo=get_settings().tz), now).astimezone(dt.UTC)
        payment_ids, allocation_ids = [], []
        async with in_transaction():
            for payment in by_day[day]:
                created, allocations = await receive(payment)
                payment_ids.append(created)
                allocation_ids += allocations
            await Payment.filter(id__in=payment_ids).update(created_at=at, updated_at=at)
            await Allocation.filter(id__in=allocation_ids).update(created_at=at, updated_at=at)
            await Invoice.filter(
                id__in=[p.invoice.id for p in by_day[day]], status=InvoiceStatus.SETTLED, settled_at__gt=at
            ).update(settled_at=at)
    first = min(invoices, key=lambda i: i.id)
    await create_payment(
        PaymentCreate(
            amount=Decimal("888.00"),
            received_on=max(today.replace(day=1), today - dt.timedelta(days=3)),
            method=PaymentMethod.BANK_TRANSFER,
            payer_name=first.company_name.replace("有限公司", ""),
            bank_reference=UNKNOWN_PAYER_REFERENCE,
            remark="payer not known yet: see the candidate customers",
        )
    )
    return True


async def receive(payment: PlannedPayment) -> tuple[int, list[int]]:
    """Enter the payment and, unless it waits for reconciliation, allocate it to its invoice;
    returns the payment's id and its allocations' ids."""
    invoice = payment.invoice
    created = await create_payment(
        PaymentCreate(
            customer_id=invoice.customer_id,
            amount=payment.amount,
            received_on=payment.received_on,
            method=payment.method,
            payer_name=invoice.company_name,
            bank_reference=payment.bank_reference,
        )
    )
    if not payment.allocated:
        return created.id, []
    return created.id, await allocate(payment_id=created.id, lines=[Line(invoice.id, payment.amount)])


async def periods_to_invoice(today: dt.date) -> list[str]:
    """Every month the usage covers from its first day (at least last month), oldest first."""
    last = previous_period(today)
    first_day = await UsageRecord.all().order_by("usage_day").first().values_list("usage_day", flat=True)
    if not isinstance(first_day, dt.date):
        return [last]
    first = period_of(first_day if first_day.day == 1 else month_start(first_day, -1))
    periods: list[str] = []
    day = period_bounds(min(first, last))[0]
    while period_of(day) <= last:
        periods.append(period_of(day))
        day = month_start(day, -1)
    return periods


async def payer_roles(today: dt.date) -> dict[int, Payer]:
    """How each customer pays: the cast the usage part of the seed used."""
    customers = await Customer.filter(status__in=list(USAGE_STATUSES)).order_by("id")
    members = [Member(c.id, c.status.value, c.signed_at) for c in customers]
    return {cid: role.payer for cid, role in cast(members, today, start=history_start(today)).items()}


def plan_payments(invoices: list[Invoice], payers: dict[int, Payer], today: dt.date) -> list[PlannedPayment]:
    """The payments received up to today for these invoices, as their customers pay."""
    by_invoice = {
        invoice.id: _as_paid_by(invoice, payers.get(invoice.customer_id, Payer.ON_TIME), today)
        for invoice in invoices
    }
    for invoice in _held_back(invoices, by_invoice, payers, today):
        by_invoice[invoice.id] = []
    waiting = _waiting_for_reconciliation(invoices, by_invoice, payers)
    if waiting is not None:
        waiting.allocated = False
    return [payment for payments in by_invoice.values() for payment in payments]


def _as_paid_by(invoice: Invoice, payer: Payer, today: dt.date) -> list[PlannedPayment]:
    rng = random.Random(f"{SEED}:{invoice.number}")
    issued, due, total = invoice.issue_date, invoice.due_date, invoice.total
    reference = f"DEMO-{invoice.number}"

    def on(day: dt.date, amount: Decimal, ref: str = reference) -> PlannedPayment:
        method = (
            PaymentMethod.ONLINE
            if payer == Payer.PROMPT and rng.random() < 0.5
            else PaymentMethod.BANK_TRANSFER
        )
        return PlannedPayment(invoice, day, amount, ref, method)

    def days(n: int) -> dt.timedelta:
        return dt.timedelta(days=n)

    if payer == Payer.DEBTOR and due > today - days(DEBTOR_DAYS):
        return []
    if payer == Payer.PROMPT:
        # on receipt: the invoice of the 1st is paid by today even when today is the 1st
        planned = [on(min(issued + days(rng.randint(0, 3)), today), total)]
    elif payer == Payer.LATE:
        planned = [on(due + days(rng.randint(5, 60)), total)]
    elif payer == Payer.PARTIAL:
        part = (total * rng.randint(40, 70) / 100).quantize(CENT)
        planned = [on(min(issued + days(rng.randint(0, 5)), today), part)]
        # the rest, late; of the recent invoices, a third is still waiting for it
        if due < today - days(120) or rng.random() < 0.65:
            planned.append(on(due + days(rng.randint(20, 50)), total - part, f"{reference}-2"))
    elif rng.random() < 0.1:  # on time as a rule, late now and then
        planned = [on(due + days(rng.randint(3, 25)), total)]
    else:
        planned = [on(max(issued, due - days(rng.randint(1, 7))), total)]
    return [p for p in planned if p.received_on <= today and p.amount > ZERO]


def overdue_bucket(due: dt.date, today: dt.date) -> str | None:
    late = (today - due).days
    for name, low, high in OVERDUE_BUCKETS:
        if late >= low and (high is None or late <= high):
            return name
    return None


def _paid(payments: Iterable[PlannedPayment]) -> Decimal:
    return sum((p.amount for p in payments), ZERO)


def _held_back(
    invoices: list[Invoice],
    by_invoice: dict[int, list[PlannedPayment]],
    payers: dict[int, Payer],
    today: dt.date,
) -> list[Invoice]:
    """Invoices to leave unpaid so that every overdue bucket has one: a late payer's (an
    on-time payer's if need be) of the age the bucket wants, when the story left it empty."""
    covered = {overdue_bucket(i.due_date, today) for i in invoices if _paid(by_invoice[i.id]) < i.total}
    preference = {Payer.LATE: 0, Payer.ON_TIME: 1}
    held = []
    for name, _, _ in OVERDUE_BUCKETS:
        if name in covered:
            continue
        candidates = [
            i
            for i in invoices
            if overdue_bucket(i.due_date, today) == name and payers.get(i.customer_id) in preference
        ]
        if candidates:
            held.append(
                min(candidates, key=lambda i: (preference[payers[i.customer_id]], i.customer_id, i.id))
            )
    return held


def _waiting_for_reconciliation(
    invoices: list[Invoice], by_invoice: dict[int, list[PlannedPayment]], payers: dict[int, Payer]
) -> PlannedPayment | None:
    """The payment of the latest invoice of the last prompt payer: its only open invoice then,
    whose outstanding is exactly the payment."""
    latest: dict[int, Invoice] = {}
    for invoice in invoices:
        if payers.get(invoice.customer_id) == Payer.PROMPT:
            latest[invoice.customer_id] = invoice
    for customer_id in sorted(latest, reverse=True):
        payments = by_invoice[latest[customer_id].id]
        if len(payments) == 1 and payments[0].amount == latest[customer_id].total:
            return payments[0]
    return None
