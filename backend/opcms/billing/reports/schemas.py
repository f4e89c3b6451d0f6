"""Query and answer shapes of the invoice list filters and the aging report (issue 6, items 4–5).

The list filters are shared by ``GET /invoices`` (its route lives with the invoice API) and
``GET /invoices/export``, so the export always holds exactly the rows the list shows.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from opcms.core.i18n import Invalid
from opcms.core.money import Amount
from opcms.core.periods import PERIOD_PATTERN
from opcms.core.schemas import MAX_ID, Id, PageQuery, PublicSchema, Schema, sort_by

InvoiceStatusName = Literal["unsettled", "partially_settled", "settled", "void"]

SORTABLE = (
    "id",
    "number",
    "period",
    "issue_date",
    "due_date",
    "total",
    "outstanding",
    "status",
    "customer_code",
    "company_name",
    "created_at",
)


class InvoiceQuery(PageQuery):
    status: InvoiceStatusName | None = None
    overdue: bool | None = Field(
        default=None,
        description="true: not void, outstanding > 0 and due date before today (business time zone)",
    )
    period: str | None = Field(default=None, pattern=PERIOD_PATTERN, description="YYYY-MM")
    customer_id: Id | None = None
    owner_id: int | None = Field(
        default=None, ge=0, le=MAX_ID, description="the customer's owner; 0 = no owner"
    )
    amount_min: Amount | None = Field(default=None, description="total ≥ this (inclusive)")
    amount_max: Amount | None = Field(default=None, description="total ≤ this (inclusive)")
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    q: str | None = Field(
        default=None, max_length=100, description="invoice number, customer code or company name"
    )
    sort: str | None = sort_by(*SORTABLE)

    @model_validator(mode="after")
    def _ranges(self) -> InvoiceQuery:
        if self.amount_min is not None and self.amount_max is not None and self.amount_min > self.amount_max:
            raise Invalid("amount_range_reversed", "amount_min must not be greater than amount_max")
        if self.due_from and self.due_to and self.due_from > self.due_to:
            raise Invalid("due_range_reversed", "due_from must not be after due_to")
        return self


# --- aging ------------------------------------------------------------------------------------
BucketName = Literal["current", "1-30", "31-60", "61-90", "90+"]
BUCKETS: tuple[str, ...] = ("current", "1-30", "31-60", "61-90", "90+")
# the per-customer column of each bucket
BUCKET_FIELDS: tuple[str, ...] = ("current", "d1_30", "d31_60", "d61_90", "d90_plus")


# the report counts back 90 days from as_of: a floor keeps that arithmetic inside the calendar
AS_OF_MIN = dt.date(1900, 1, 1)


class AgingQuery(Schema):
    as_of: dt.date | None = Field(
        default=None,
        ge=AS_OF_MIN,
        description="the day the ages are counted to; default today (business time zone)",
    )
    owner_id: int | None = Field(
        default=None, ge=0, le=MAX_ID, description="the customer's owner; 0 = no owner"
    )
    customer_id: Id | None = None


class AgingBucket(PublicSchema):
    bucket: BucketName
    invoices: int
    outstanding: Amount


class AgingCustomer(PublicSchema):
    customer_id: int
    customer_code: str
    company_name: str
    current: Amount
    d1_30: Amount
    d31_60: Amount
    d61_90: Amount
    d90_plus: Amount
    total: Amount


class AgingReport(PublicSchema):
    as_of: dt.date
    buckets: list[AgingBucket]
    customers: list[AgingCustomer]


class PrintQuery(Schema):
    lang: Literal["zh-CN", "en-US"] | None = Field(
        default=None,
        description="the page's language; default the first of Accept-Language we speak, else zh-CN",
    )
