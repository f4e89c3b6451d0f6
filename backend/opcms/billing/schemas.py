"""Billing request and response shapes: invoice runs, invoices with lines, void, regenerate,
credit notes. Money and quantities are strings in JSON (core/money.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, model_validator

from opcms.core.i18n import Invalid
from opcms.core.list_pages import TOTAL_IS_ESTIMATE
from opcms.core.money import ExactAmount, NonNegativeAmount, PositiveAmount, Quantity
from opcms.core.periods import Period
from opcms.core.schemas import Id, MultiLine, Page, PageQuery, PublicSchema, Schema, sort_by
from opcms.pricing.schemas import Percent
from opcms.settlement.models import InvoiceStatus
from opcms.settlement.schemas import AllocationPublic

Reason = Field(min_length=1, max_length=255, description="why (kept on the invoice and in the audit log)")


# --- invoice runs -------------------------------------------------------------------------------
class InvoiceRunRequest(Schema):
    period: Period = Field(description="YYYY-MM (Asia/Shanghai month); not after the current month")
    customer_id: Id | None = Field(default=None, description="bill one customer only")
    issue_date: dt.date | None = Field(default=None, description="default: today (business time zone)")


# --- invoices -----------------------------------------------------------------------------------
class InvoicePublic(PublicSchema):
    id: int
    number: str
    customer_id: int
    customer_code: str
    company_name: str
    period: str
    issue_date: dt.date
    due_date: dt.date
    currency: str
    subtotal: NonNegativeAmount = Field(description="total + discount_amount")
    discount_amount: NonNegativeAmount = Field(description="Σ line discounts, each rounded to 0.01")
    total: NonNegativeAmount = Field(description="Σ line amounts")
    credited_amount: NonNegativeAmount
    paid_amount: NonNegativeAmount
    outstanding: NonNegativeAmount
    status: InvoiceStatus
    overdue: bool = Field(default=False, description="due date passed and outstanding > 0")
    days_overdue: int = Field(default=0, description="0 when not overdue")
    settled_at: dt.datetime | None
    voided_at: dt.datetime | None
    voided_by: str | None
    void_reason: str | None
    replaces_id: int | None
    execution_id: int | None
    created_at: dt.datetime
    created_by: str | None


class InvoicePage(Page[InvoicePublic]):
    total_is_estimate: bool = Field(default=False, description=TOTAL_IS_ESTIMATE)


class InvoiceLinePublic(PublicSchema):
    id: int
    position: int
    metric_id: int
    metric_code: str
    metric_name: str
    unit: str
    plan_id: int
    plan_code: str
    plan_version: int
    description: str
    mode: str
    service_from: dt.date
    service_to: dt.date
    days_active: int
    days_in_period: int
    quantity: Quantity
    included_quantity: Quantity
    billed_quantity: Quantity
    usage_amount: ExactAmount
    monthly_fee: ExactAmount
    minimum_top_up: ExactAmount
    discount_percent: Percent
    discount: ExactAmount
    amount: NonNegativeAmount
    breakdown: list[dict[str, Any]] = Field(
        description="per tier: tier, from, up_to, quantity, unit_price, flat_fee, amount (strings)"
    )


class CreditNoteLinePublic(PublicSchema):
    position: int
    invoice_line_id: int | None
    description: str
    amount: NonNegativeAmount


class CreditNotePublic(PublicSchema):
    id: int
    number: str
    invoice_id: int
    invoice_number: str
    customer_id: int
    issue_date: dt.date
    currency: str
    amount: NonNegativeAmount
    applied_amount: NonNegativeAmount = Field(description="what lowered the invoice's outstanding")
    credit_amount: NonNegativeAmount = Field(description="the rest: customer credit")
    allocated_amount: NonNegativeAmount
    unallocated_amount: NonNegativeAmount
    reason: str
    lines: list[CreditNoteLinePublic]
    created_at: dt.datetime
    created_by: str | None


class InvoiceDetail(InvoicePublic):
    lines: list[InvoiceLinePublic]
    credit_notes: list[CreditNotePublic]
    allocations: list[AllocationPublic]
    replaced_by_id: int | None = Field(default=None, description="the invoice regenerated from this one")


class RegenerateResult(Schema):
    voided: InvoicePublic
    invoice: InvoiceDetail | None = Field(description="null when the customer has nothing to bill any more")


# --- credit notes -------------------------------------------------------------------------------
class CreditNoteLineCreate(Schema):
    invoice_line_id: Id | None = Field(default=None, description="the invoice line it reduces, if any")
    description: str = Field(min_length=1, max_length=255)
    amount: PositiveAmount


class CreditNoteCreate(Schema):
    invoice_id: Id
    amount: PositiveAmount
    reason: Annotated[str, MultiLine] = Reason
    lines: list[CreditNoteLineCreate] | None = Field(
        default=None, max_length=200, description="default: one line for the whole amount"
    )

    @model_validator(mode="after")
    def _lines_add_up(self) -> CreditNoteCreate:
        if self.lines:
            total = sum((line.amount for line in self.lines), Decimal(0))
            if total != self.amount:
                raise Invalid(
                    "lines_not_amount",
                    "the lines add up to {total}, not the amount {amount}",
                    total=total,
                    amount=self.amount,
                )
        return self


CREDIT_NOTE_SORTABLE = ("id", "issue_date", "amount", "created_at")


class CreditNoteQuery(PageQuery):
    customer_id: Id | None = None
    invoice_id: Id | None = None
    sort: str | None = sort_by(*CREDIT_NOTE_SORTABLE)


class CreditNotePage(Page[CreditNotePublic]):
    pass
