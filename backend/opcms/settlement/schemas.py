"""Ledger answers shared by billing (an invoice's allocations) and payments (a payment's
allocations, customer credit)."""

from __future__ import annotations

import datetime as dt

from pydantic import AliasChoices, AliasPath, Field

from opcms.core.money import NonNegativeAmount
from opcms.core.schemas import PublicSchema, Schema
from opcms.settlement.models import AllocationSource


class AllocationPublic(PublicSchema):
    """Built from an allocation with its ``invoice`` loaded (for the number)."""

    id: int
    payment_id: int | None
    credit_note_id: int | None
    invoice_id: int
    invoice_number: str = Field(
        validation_alias=AliasChoices("invoice_number", AliasPath("invoice", "number"))
    )
    customer_id: int
    amount: NonNegativeAmount
    source: AllocationSource
    is_reversed: bool
    reversed_at: dt.datetime | None
    reversed_by: str | None
    reverse_reason: str | None
    created_at: dt.datetime
    created_by: str | None


class CustomerCredit(Schema):
    customer_id: int
    currency: str
    payments_unallocated: NonNegativeAmount
    credit_notes_unallocated: NonNegativeAmount
    total: NonNegativeAmount
