"""Payments reads: payment and allocation lists, a payment with its allocations, customer credit."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from tortoise.expressions import Q

from opcms.billing.models import CreditNote, Invoice
from opcms.core.models import get_or_404
from opcms.core.pagination import paginate
from opcms.customers.models import Customer
from opcms.payments.models import WITH_MONEY_LEFT, Allocation, Payment
from opcms.payments.schemas import (
    ALLOCATION_SORTABLE,
    PAYMENT_SORTABLE,
    AllocationListQuery,
    AllocationPublic,
    CustomerCredit,
    PaymentDetail,
    PaymentListQuery,
    PaymentPublic,
)

ZERO = Decimal("0.00")


# --- payments -----------------------------------------------------------------------------------
def payment_values(payment: Payment) -> dict[str, Any]:
    """Needs ``customer`` loaded (select_related; a deleted customer still shows)."""
    customer = payment.customer if payment.customer_id is not None else None
    return {
        "id": payment.id,
        "customer_id": payment.customer_id,
        "customer_code": customer.customer_code if customer else None,
        "company_name": customer.company_name if customer else None,
        "amount": payment.amount,
        "currency": payment.currency,
        "received_on": payment.received_on,
        "method": payment.method,
        "payer_name": payment.payer_name,
        "bank_reference": payment.bank_reference,
        "remark": payment.remark,
        "allocated_amount": payment.allocated_amount,
        "unallocated_amount": payment.unallocated_amount,
        "status": payment.status,
        "voided_at": payment.voided_at,
        "voided_by": payment.voided_by,
        "void_reason": payment.void_reason,
        "created_at": payment.created_at,
        "created_by": payment.created_by,
    }


async def load_payment(payment_id: int) -> Payment:
    return await get_or_404(Payment.all().select_related("customer"), payment_id, "payment")


async def payment_public(payment_id: int) -> PaymentPublic:
    return PaymentPublic(**payment_values(await load_payment(payment_id)))


async def payment_detail(payment_id: int) -> PaymentDetail:
    payment = await load_payment(payment_id)
    allocations = await Allocation.filter(payment_id=payment.id).select_related("invoice").order_by("id")
    return PaymentDetail(**payment_values(payment), allocations=allocation_publics(allocations))


async def list_payments(query: PaymentListQuery) -> dict[str, Any]:
    qs = Payment.all().select_related("customer")
    if query.customer_id is not None:
        qs = qs.filter(customer_id=query.customer_id)
    if query.unassigned is not None:
        qs = qs.filter(customer_id__isnull=query.unassigned)
    if query.status is not None:
        qs = qs.filter(status=query.status)
    if query.method is not None:
        qs = qs.filter(method=query.method)
    if query.received_from is not None:
        qs = qs.filter(received_on__gte=query.received_from)
    if query.received_to is not None:
        qs = qs.filter(received_on__lte=query.received_to)
    if query.q and query.q.strip():
        word = query.q.strip()
        qs = qs.filter(
            Q(payer_name__icontains=word)
            | Q(bank_reference__icontains=word)
            | Q(remark__icontains=word)
            | Q(customer__customer_code__icontains=word)
            | Q(customer__company_name__icontains=word)
        )
    page = await paginate(qs, query, sortable=PAYMENT_SORTABLE, default_sort="-id")
    page["items"] = [PaymentPublic(**payment_values(p)) for p in page["items"]]
    return page


# --- allocations --------------------------------------------------------------------------------
def allocation_public(allocation: Allocation) -> AllocationPublic:
    """Needs ``invoice`` loaded (for its number)."""
    return AllocationPublic(
        id=allocation.id,
        payment_id=allocation.payment_id,
        credit_note_id=allocation.credit_note_id,
        invoice_id=allocation.invoice_id,
        invoice_number=allocation.invoice.number,
        customer_id=allocation.customer_id,
        amount=allocation.amount,
        source=allocation.source,
        is_reversed=allocation.is_reversed,
        reversed_at=allocation.reversed_at,
        reversed_by=allocation.reversed_by,
        reverse_reason=allocation.reverse_reason,
        created_at=allocation.created_at,
        created_by=allocation.created_by,
    )


def allocation_publics(allocations: Iterable[Allocation]) -> list[AllocationPublic]:
    return [allocation_public(a) for a in allocations]


async def load_allocations(ids: list[int]) -> list[AllocationPublic]:
    if not ids:
        return []
    rows = await Allocation.filter(id__in=ids).select_related("invoice").order_by("id")
    return allocation_publics(rows)


async def list_allocations(query: AllocationListQuery) -> dict[str, Any]:
    qs = Allocation.all().select_related("invoice")
    for name in ("payment_id", "credit_note_id", "invoice_id", "customer_id"):
        value = getattr(query, name)
        if value is not None:
            qs = qs.filter(**{name: value})
    if not query.include_reversed:
        qs = qs.filter(is_reversed=False)
    page = await paginate(qs, query, sortable=ALLOCATION_SORTABLE, default_sort="-id")
    page["items"] = allocation_publics(page["items"])
    return page


# --- credit -------------------------------------------------------------------------------------
async def customer_credit(customer_id: int) -> CustomerCredit:
    """Money of the customer not allocated yet: payments' remainders and credit notes' credit.

    Summed in Python on Decimals (SQLite would sum its text decimals as floats); a customer
    has few payments with money left, and only those are read."""
    customer = await get_or_404(Customer.with_deleted(), customer_id, "customer")
    payments = await Payment.filter(customer_id=customer.id, status__in=WITH_MONEY_LEFT).values_list(
        "unallocated_amount", flat=True
    )
    notes = (
        await CreditNote.filter(customer_id=customer.id)
        .exclude(unallocated_amount=ZERO)
        .values_list("unallocated_amount", flat=True)
    )
    from_payments = sum((Decimal(v) for v in payments), ZERO)
    from_notes = sum((Decimal(v) for v in notes), ZERO)
    return CustomerCredit(
        customer_id=customer.id,
        currency="CNY",
        payments_unallocated=from_payments,
        credit_notes_unallocated=from_notes,
        total=from_payments + from_notes,
    )


async def invoice_numbers(ids: Iterable[int]) -> dict[int, str]:
    ids = list(set(ids))
    if not ids:
        return {}
    return dict(await Invoice.with_deleted().filter(id__in=ids).values_list("id", "number"))
