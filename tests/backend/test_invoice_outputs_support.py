"""A small invoice factory for the output tests: invoices, lines and credit notes written
directly with real numbers (the invoice run has its own tests), settlement fields consistent
with ``settlement.rules`` (total = credited + paid + outstanding, status derived)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from opcms.billing.models import InvoiceLine
from opcms.core.context import acting_as, system_actor
from opcms.pricing.models import PricingPlanVersion
from opcms.settlement.models import CreditNote, Invoice, InvoiceStatus
from opcms.settlement.rules import status_for
from tests.backend.factories import make_plan

_numbers = itertools.count(1)
_periods = itertools.count(1)


def _fresh_period() -> str:
    # (customer, period) is unique among live invoices: by default every invoice gets its own month
    n = next(_periods)
    return f"{2000 + n // 12:04d}-{n % 12 + 1:02d}"


async def make_invoice(
    customer,
    *,
    total: str = "100.00",
    paid: str = "0.00",
    credited: str = "0.00",
    void: bool = False,
    period: str | None = None,
    issue_date: dt.date = dt.date(2026, 4, 1),
    due_date: dt.date | None = None,
    company_name: str | None = None,
    subtotal: str | None = None,
    discount: str = "0.00",
    number: str | None = None,
) -> Invoice:
    total_d, paid_d, credited_d = Decimal(total), Decimal(paid), Decimal(credited)
    period = period or _fresh_period()
    fields: dict[str, Any] = dict(
        number=number or f"INV-{period.replace('-', '')}-{next(_numbers):06d}",
        customer=customer,
        period=period,
        live_period=None if void else period,
        issue_date=issue_date,
        due_date=due_date or issue_date + dt.timedelta(days=30),
        customer_code=customer.customer_code,
        company_name=company_name or customer.company_name,
        subtotal=Decimal(subtotal) if subtotal else total_d + Decimal(discount),
        discount_amount=Decimal(discount),
        total=total_d,
        credited_amount=credited_d,
        paid_amount=paid_d,
    )
    if void:  # a voided invoice owes nothing any more
        fields.update(
            outstanding=Decimal("0.00"),
            status=InvoiceStatus.VOID,
            voided_by="finance1",
            void_reason="开错了",
            voided_at=dt.datetime(2026, 4, 2, 8, 0, tzinfo=dt.UTC),
        )
    else:
        fields.update(
            outstanding=total_d - paid_d - credited_d, status=status_for(total_d, credited_d, paid_d)
        )
    with acting_as(system_actor("test-invoice")):
        return await Invoice.create(**fields)


async def graduated_line(invoice: Invoice, *, position: int = 1, plan=None) -> InvoiceLine:
    """19,500 calls on a graduated plan: 1,000 at 0.01 then 18,500 at 0.008 = 158.00."""
    plan = plan or await make_plan(code=f"GRAD-{next(_numbers)}")
    version = await PricingPlanVersion.get(plan_id=plan.id, version=1)
    return await InvoiceLine.create(
        invoice=invoice,
        position=position,
        plan=plan,
        plan_version=version,
        metric_id=plan.metric_id,
        description="API 调用 2026-03",
        mode="graduated",
        service_from=dt.date(2026, 3, 1),
        service_to=dt.date(2026, 3, 31),
        days_active=31,
        days_in_period=31,
        quantity=Decimal("19500"),
        included_quantity=Decimal("0"),
        billed_quantity=Decimal("19500"),
        usage_amount=Decimal("158.000000"),
        monthly_fee=Decimal("0"),
        minimum_top_up=Decimal("0"),
        discount_percent=Decimal("0"),
        discount=Decimal("0"),
        amount=Decimal("158.00"),
        breakdown=[
            {
                "tier": 1,
                "from": "0",
                "up_to": "1000",
                "quantity": "1000",
                "unit_price": "0.01",
                "flat_fee": "0.00",
                "amount": "10.00",
            },
            {
                "tier": 2,
                "from": "1000",
                "up_to": None,
                "quantity": "18500",
                "unit_price": "0.008",
                "flat_fee": "0.00",
                "amount": "148.00",
            },
        ],
    )


async def credit_note(invoice: Invoice, amount: str, reason: str, number: str) -> CreditNote:
    with acting_as(system_actor("test-invoice")):
        return await CreditNote.create(
            number=number,
            invoice=invoice,
            customer_id=invoice.customer_id,
            issue_date=dt.date(2026, 4, 10),
            amount=Decimal(amount),
            applied_amount=Decimal(amount),
            credit_amount=Decimal("0.00"),
            reason=reason,
        )
