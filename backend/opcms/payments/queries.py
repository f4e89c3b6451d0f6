"""Payments reads: payment and allocation lists, a payment with its allocations, customer credit."""

from __future__ import annotations

from typing import Any

from tortoise.queryset import QuerySet

from opcms.core.list_pages import deferred_page, filters_key
from opcms.core.models import get_or_404
from opcms.core.pagination import matching_any, paginate, where_given
from opcms.customers.models import Customer
from opcms.payments.schemas import (
    ALLOCATION_SORTABLE,
    PAYMENT_SORTABLE,
    AllocationListQuery,
    PaymentDetail,
    PaymentListQuery,
    PaymentPublic,
)
from opcms.settlement import queries as ledger
from opcms.settlement.models import Allocation, Payment
from opcms.settlement.schemas import CustomerCredit


# --- payments -----------------------------------------------------------------------------------
async def load_payment(payment_id: int) -> Payment:
    # with its customer, for the answer's code and name (a deleted customer still shows)
    return await get_or_404(Payment.all().select_related("customer"), payment_id, "payment")


async def payment_public(payment_id: int) -> PaymentPublic:
    return PaymentPublic.model_validate(await load_payment(payment_id))


async def payment_detail(payment_id: int) -> PaymentDetail:
    payment = await load_payment(payment_id)
    allocations = await Allocation.filter(payment_id=payment.id).select_related("invoice").order_by("id")
    public = PaymentPublic.model_validate(payment)
    return PaymentDetail(**dict(public), allocations=ledger.allocation_publics(allocations))


def payment_rows(query: PaymentListQuery) -> QuerySet[Payment]:
    """The payments matching the list filters (no order, no page)."""
    qs = where_given(
        Payment.all(),
        query,
        "customer_id",
        "status",
        "method",
        customer_id__isnull="unassigned",
        received_on__gte="received_from",
        received_on__lte="received_to",
    )
    return matching_any(
        qs,
        query.q,
        "payer_name__icontains",
        "bank_reference__icontains",
        "remark__icontains",
        "customer__customer_code__icontains",
        "customer__company_name__icontains",
    )


async def list_payments(query: PaymentListQuery) -> dict[str, Any]:
    # the page's ids from the filters' index, then those rows with their customers
    page = await deferred_page(
        payment_rows(query),
        query,
        sortable=PAYMENT_SORTABLE,
        default_sort="-id",
        related={"customer": ("customer_code", "company_name")},
        count_key=filters_key(query, "payment"),
    )
    page["items"] = [PaymentPublic.model_validate(p) for p in page["items"]]
    return page


# --- allocations --------------------------------------------------------------------------------
async def list_allocations(query: AllocationListQuery) -> dict[str, Any]:
    allocations = Allocation.all().select_related("invoice")
    qs = where_given(allocations, query, "payment_id", "credit_note_id", "invoice_id", "customer_id")
    if not query.include_reversed:
        qs = qs.filter(is_reversed=False)
    page = await paginate(qs, query, sortable=ALLOCATION_SORTABLE, default_sort="-id")
    page["items"] = ledger.allocation_publics(page["items"])
    return page


# --- credit -------------------------------------------------------------------------------------
async def customer_credit(customer_id: int, *, include_deleted: bool = False) -> CustomerCredit:
    """The customer's money not allocated yet; 404 for a customer that never existed, and for a
    deleted one unless ``include_deleted`` (a deleted customer keeps its credit)."""
    source = Customer.with_deleted() if include_deleted else Customer.all()
    customer = await get_or_404(source, customer_id, "customer")
    return await ledger.customer_credit(customer.id)
