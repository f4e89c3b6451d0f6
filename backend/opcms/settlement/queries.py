"""Ledger reads: open and overdue invoices, allocations as answers, customer credit.

Other rooms read what an invoice still owes through these (the account automation, the
overdue reminders, reconciliation suggestions) instead of spelling the conditions again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from tortoise.queryset import QuerySet

from opcms.core.db import counts_by, sum_of
from opcms.core.money import ZERO
from opcms.settlement.models import (
    WITH_MONEY_LEFT,
    Allocation,
    CreditNote,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentStatus,
)
from opcms.settlement.rules import OPEN_STATUSES
from opcms.settlement.schemas import AllocationPublic, CustomerCredit


# --- open and overdue invoices ------------------------------------------------------------------
def open_invoices(**filters: Any) -> QuerySet[Invoice]:
    """Invoices with something outstanding (neither settled nor void), narrowed by ``filters``."""
    return Invoice.filter(status__in=OPEN_STATUSES, **filters)


def overdue_invoices(due_before: dt.date, **filters: Any) -> QuerySet[Invoice]:
    """Open invoices due before ``due_before``: on that day they are overdue (DESIGN §7)."""
    return open_invoices(due_date__lt=due_before, **filters)


# --- allocations --------------------------------------------------------------------------------
def allocation_publics(allocations: Iterable[Allocation]) -> list[AllocationPublic]:
    """Needs each allocation's ``invoice`` loaded (select_related, for its number)."""
    return [AllocationPublic.model_validate(a) for a in allocations]


async def load_allocations(ids: list[int]) -> list[AllocationPublic]:
    if not ids:
        return []
    rows = await Allocation.filter(id__in=ids).select_related("invoice").order_by("id")
    return allocation_publics(rows)


# --- credit -------------------------------------------------------------------------------------
async def customer_credit(customer_id: int) -> CustomerCredit:
    """Money of the customer not allocated yet: payments' remainders and credit notes' credit
    (the caller answers 404 for an unknown customer)."""
    from_payments = await sum_of(
        Payment.filter(customer_id=customer_id, status__in=WITH_MONEY_LEFT), "unallocated_amount"
    )
    from_notes = await sum_of(
        CreditNote.filter(customer_id=customer_id).exclude(unallocated_amount=ZERO), "unallocated_amount"
    )
    return CustomerCredit(
        customer_id=customer_id,
        currency="CNY",
        payments_unallocated=from_payments,
        credit_notes_unallocated=from_notes,
        total=from_payments + from_notes,
    )


async def metric_families() -> list[Metric]:
    """Invoices issued (void ones stay counted: they were issued) and where they stand, payments
    and allocations recorded (voided and reversed ones too, named by their own label)."""
    issued = CounterMetricFamily("opcms_invoices_issued", "Invoices issued, void ones included")
    invoices = GaugeMetricFamily("opcms_invoices", "Invoices by status", labels=["status"])
    payments = CounterMetricFamily(
        "opcms_payments_recorded", "Payments recorded, by status (void: voided since)", labels=["status"]
    )
    allocations = CounterMetricFamily(
        "opcms_allocations_recorded",
        "Allocations recorded, by whether they were reversed since",
        labels=["reversed"],
    )
    invoice_rows = await counts_by(Invoice.all(), "status")
    issued.add_metric([], sum(n for _, n in invoice_rows))
    for status, n in sorted(invoice_rows, key=lambda row: str(row[0])):
        invoices.add_metric([InvoiceStatus(status).value], n)
    for status, n in sorted(
        await counts_by(Payment.all(), "status"),
        key=lambda row: str(row[0]),
    ):
        payments.add_metric([PaymentStatus(status).value], n)
    reversed_rows = dict(await counts_by(Allocation.all(), "is_reversed"))
    for is_reversed in (False, True):
        allocations.add_metric([str(is_reversed).lower()], reversed_rows.get(is_reversed, 0))
    return [issued, invoices, payments, allocations]
