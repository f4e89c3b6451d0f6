"""Demo invoices and payments for the embedded default (``opcms seed-demo``).

Last month's invoice run through the real pipeline, then money in every state finance meets:
invoices paid in full, paid in part, not paid, a payment waiting for reconciliation (an exact
match the suggestions and auto-reconcile find) and a payment whose payer is not known yet.
Idempotent: nothing is added once an invoice exists.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from opcms.billing.run import run_period
from opcms.core.money import CENT
from opcms.core.periods import previous_period
from opcms.core.settings import business_today
from opcms.jobs.models import Trigger
from opcms.payments.schemas import PaymentCreate
from opcms.payments.service import create_payment
from opcms.settlement.allocations import Line, allocate
from opcms.settlement.models import Invoice, PaymentMethod


async def seed_invoices_and_payments() -> bool:
    """Returns False when invoices are already there (or nothing could be billed)."""
    if await Invoice.with_deleted().exists():
        return False
    today = business_today()
    await run_period(previous_period(today), issue_date=today.replace(day=1), trigger=Trigger.CLI)
    invoices = await Invoice.all().order_by("id")
    if not invoices:
        return False
    received = max(today.replace(day=1), today - dt.timedelta(days=3))
    for n, invoice in enumerate(invoices):
        share = n % 4  # 0: paid in full, 1: paid in part, 2: waiting for reconciliation, 3: not paid
        if share == 3 or invoice.total <= 0:
            continue
        amount = invoice.total if share != 1 else (invoice.total / 2).quantize(CENT)
        payment = await create_payment(
            PaymentCreate(
                customer_id=invoice.customer_id,
                amount=amount,
                received_on=received,
                method=PaymentMethod.BANK_TRANSFER,
                payer_name=invoice.company_name,
                bank_reference=f"DEMO-{invoice.number}",
            )
        )
        if share != 2:
            await allocate(payment_id=payment.id, lines=[Line(invoice.id, amount)])
    await create_payment(
        PaymentCreate(
            amount=Decimal("888.00"),
            received_on=received,
            method=PaymentMethod.BANK_TRANSFER,
            payer_name=invoices[0].company_name.replace("有限公司", ""),
            bank_reference="DEMO-UNKNOWN-PAYER",
            remark="payer not known yet: see the candidate customers",
        )
    )
    return True
