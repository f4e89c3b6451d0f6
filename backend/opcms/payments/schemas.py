"""Payments request and response shapes: payments, allocations and reversals, suggestions,
auto-reconcile (shared contract, issue 6). An allocation and customer credit as answered are
the ledger's (``opcms.settlement.schemas``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from opcms.core.i18n import Invalid
from opcms.core.list_pages import TOTAL_IS_ESTIMATE
from opcms.core.money import CENT, NonNegativeAmount, PositiveAmount
from opcms.core.schemas import (
    Id,
    MultiLine,
    Page,
    PageQuery,
    PatchSchema,
    PublicSchema,
    Schema,
    of_related,
    sort_by,
)
from opcms.core.text import blank_to_none
from opcms.settlement.models import PaymentMethod, PaymentStatus
from opcms.settlement.schemas import AllocationPublic

Blank = BeforeValidator(blank_to_none)
MAX_LINES = 200


PayerName = Annotated[Annotated[str, Field(max_length=200)] | None, Blank]
BankReference = Annotated[Annotated[str, Field(max_length=64)] | None, Blank]
Remark = Annotated[Annotated[str, Field(max_length=255)] | None, Blank, MultiLine]


# --- payments -----------------------------------------------------------------------------------
class PaymentCreate(Schema):
    customer_id: Id | None = Field(default=None, description="null when the payer is not known yet")
    amount: PositiveAmount
    received_on: dt.date = Field(description="not after today (Asia/Shanghai)")
    method: PaymentMethod
    payer_name: PayerName = None
    bank_reference: BankReference = Field(
        default=None, description="unique per method, compared trimmed and case-free"
    )
    remark: Remark = None

    @field_validator("amount")
    @classmethod
    def _to_cents(cls, value: Decimal) -> Decimal:
        # "1200" and "1200.00" are one amount (and one request body for Idempotency-Key)
        return value.quantize(CENT)


class PaymentUpdate(PatchSchema):
    not_null = ("customer_id",)

    customer_id: Id | None = Field(
        default=None, description="the customer of a payment nothing is allocated from yet"
    )


class PaymentPublic(PublicSchema):
    """Built from a payment with its ``customer`` loaded (select_related)."""

    id: int
    customer_id: int | None
    customer_code: str | None = Field(
        default=None, validation_alias=of_related("customer", "customer_code", "customer_code")
    )
    company_name: str | None = Field(
        default=None, validation_alias=of_related("customer", "company_name", "company_name")
    )
    amount: NonNegativeAmount
    currency: str
    received_on: dt.date
    method: PaymentMethod
    payer_name: str | None
    bank_reference: str | None
    remark: str | None
    allocated_amount: NonNegativeAmount
    unallocated_amount: NonNegativeAmount
    status: PaymentStatus
    voided_at: dt.datetime | None = None
    voided_by: str | None = None
    void_reason: str | None = None
    created_at: dt.datetime
    created_by: str | None


class PaymentDetail(PaymentPublic):
    allocations: list[AllocationPublic] = Field(
        description="all allocations from this payment, reversed ones too"
    )


class PaymentPage(Page[PaymentPublic]):
    total_is_estimate: bool = Field(default=False, description=TOTAL_IS_ESTIMATE)


PAYMENT_SORTABLE = ("id", "received_on", "amount", "unallocated_amount", "created_at")


class PaymentListQuery(PageQuery):
    customer_id: Id | None = None
    status: PaymentStatus | None = None
    method: PaymentMethod | None = None
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    q: str | None = Field(
        default=None,
        max_length=64,
        description="part of the payer name, bank reference, remark or customer code/name",
    )
    unassigned: bool | None = Field(default=None, description="true: only payments without a customer")
    sort: str | None = sort_by(*PAYMENT_SORTABLE)


# --- allocations --------------------------------------------------------------------------------
class AllocationLine(Schema):
    invoice_id: Id
    amount: PositiveAmount


class AllocationCreate(Schema):
    payment_id: Id | None = None
    credit_note_id: Id | None = None
    lines: list[AllocationLine] = Field(min_length=1, max_length=MAX_LINES)
    source: Literal["manual", "suggestion"] = Field(
        default="manual",
        description="suggestion: a reconciliation suggestion of the payment applied as offered; "
        "manual: lines chosen by hand (auto is auto-reconcile's own)",
    )

    @model_validator(mode="after")
    def _one_source_distinct_invoices(self) -> AllocationCreate:
        if (self.payment_id is None) == (self.credit_note_id is None):
            raise Invalid("payment_or_credit_note", "give exactly one of payment_id and credit_note_id")
        if self.source == "suggestion" and self.payment_id is None:
            raise Invalid("suggestion_needs_payment", "a suggestion allocates a payment: give payment_id")
        seen: set[int] = set()
        for line in self.lines:
            if line.invoice_id in seen:
                raise Invalid(
                    "invoice_twice",
                    "invoice {id} appears twice; give one line per invoice",
                    id=line.invoice_id,
                )
            seen.add(line.invoice_id)
        return self


class AllocationList(PublicSchema):
    allocations: list[AllocationPublic]


class AllocationPage(Page[AllocationPublic]):
    pass


ALLOCATION_SORTABLE = ("id", "amount", "created_at")


class AllocationListQuery(PageQuery):
    payment_id: Id | None = None
    credit_note_id: Id | None = None
    invoice_id: Id | None = None
    customer_id: Id | None = None
    include_reversed: bool = False
    sort: str | None = sort_by(*ALLOCATION_SORTABLE)


class AutoReconcileRequest(Schema):
    customer_id: Id | None = None
    dry_run: bool = Field(default=False, description="true: say what would be allocated, change nothing")


class PlannedAllocation(PublicSchema):
    payment_id: int
    invoice_id: int
    invoice_number: str
    amount: NonNegativeAmount


class AutoReconcileResult(PublicSchema):
    allocations: list[AllocationPublic] = Field(description="made (empty on a dry run)")
    planned: list[PlannedAllocation] = Field(
        description="the single exact matches found (made, or would be on a dry run)"
    )
    considered: int = Field(
        description="payments with a customer and money left to allocate that were looked at"
    )
    allocated: int
    waiting: int = Field(description="payments left for a person: no single exact match")


# --- suggestions --------------------------------------------------------------------------------
class SuggestedInvoice(PublicSchema):
    invoice_id: int
    number: str
    period: str
    due_date: dt.date
    outstanding: NonNegativeAmount
    amount: NonNegativeAmount = Field(description="what to allocate to it")


class Suggestion(PublicSchema):
    kind: Literal["exact", "combination", "fifo"]
    invoices: list[SuggestedInvoice]
    total: NonNegativeAmount
    reason: str


class CustomerCandidate(PublicSchema):
    customer_id: int
    customer_code: str
    company_name: str
    short_name: str | None
    score: int = Field(
        ge=0, le=100, description="0–100, how alike the payer name and the customer's name are"
    )
    reason: str


class SuggestionsPublic(PublicSchema):
    payment_id: int
    unallocated_amount: NonNegativeAmount
    customer_candidates: list[CustomerCandidate]
    suggestions: list[Suggestion]
