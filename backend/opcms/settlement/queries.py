"""Ledger reads: open and overdue invoices, allocations as answers, customer credit.

Other rooms read what an invoice still owes through these (the account automation, the
overdue reminders, reconciliation suggestions) instead of spelling the conditions again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from tortoise.queryset import QuerySet

from opcms.core.db import sum_of
from opcms.core.money import ZERO
from opcms.settlement.models import WITH_MONEY_LEFT, Allocation, CreditNote, Invoice, Payment
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
