"""Query and answer shapes of the analytics routes (issue 14). Money is an exact string,
percentages and days strings with one decimal, months ``YYYY-MM``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, WithJsonSchema, model_validator

from opcms.billing.reports.schemas import AgingBucket, AgingCustomer
from opcms.core.i18n import Invalid
from opcms.core.money import Amount
from opcms.core.schemas import Id, PublicSchema, Schema

#: the widest range a board is computed over
MAX_RANGE_DAYS = 3 * 366
EARLIEST = dt.date(2000, 1, 1)

OneDecimal = Annotated[
    Decimal, WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d)?$", "example": "12.5"})
]
SignedQuantity = Annotated[
    Decimal, WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d{1,4})?$", "example": "1200.0000"})
]


#: whose customers a board shows: a user id, "me" or "all". The ids stop at 18 digits, so that
#: every value the document admits is a whole number the database can hold (ids are BIGINT).
OWNER_PATTERN = r"^([1-9][0-9]{0,17}|me|all)$"


class OwnerQuery(Schema):
    owner: str | None = Field(
        default=None,
        pattern=OWNER_PATTERN,
        description="whose customers: a user id, 'me' or 'all' (operators: 'me' by default)",
    )


class DashboardQuery(OwnerQuery):
    start: dt.date | None = Field(
        default=None, alias="from", ge=EARLIEST, description="first day (default: the 1st of this month)"
    )
    end: dt.date | None = Field(
        default=None, alias="to", ge=EARLIEST, description="last day (default: today)"
    )

    @model_validator(mode="after")
    def _range(self) -> DashboardQuery:
        if self.start and self.end:
            if self.start > self.end:
                raise Invalid("from_after_to", "from must not be after to")
            if (self.end - self.start).days >= MAX_RANGE_DAYS:
                raise Invalid("range_over_3_years", "the range must not be longer than 3 years")
        return self


AGING_SORT_PATTERN = r"^-?(customer_code|company_name|current|d1_30|d31_60|d61_90|d90_plus|total)$"


class AgingPageQuery(OwnerQuery):
    as_of: dt.date | None = Field(default=None, ge=EARLIEST, description="default today (business time zone)")
    customer_id: Id | None = None
    sort: str = Field(default="-total", pattern=AGING_SORT_PATTERN)
    page: int = Field(default=1, ge=1, le=1_000_000)
    page_size: int = Field(default=20, ge=1, le=200)


class AgingWorkbookQuery(OwnerQuery):
    as_of: dt.date | None = Field(default=None, ge=EARLIEST)
    customer_id: Id | None = None


class AsOfQuery(Schema):
    as_of: dt.date | None = Field(default=None, ge=EARLIEST)


# --- answers --------------------------------------------------------------------------------------
class MoneyFigure(PublicSchema):
    value: Amount | None
    previous: Amount | None
    change: OneDecimal | None = Field(description="relative change in percent; null against nothing")


class OverdueFigure(MoneyFigure):
    count: int


class RateFigure(PublicSchema):
    value: OneDecimal | None
    previous: OneDecimal | None
    change: OneDecimal | None


class Figures(PublicSchema):
    invoiced: MoneyFigure
    collected: MoneyFigure
    receivable: MoneyFigure
    overdue: OverdueFigure
    credit: MoneyFigure
    dso: RateFigure = Field(description="days sales outstanding: receivable ÷ invoiced × days in the range")
    collection_rate: RateFigure = Field(description="collected ÷ invoiced, in percent")


class BucketAmount(PublicSchema):
    bucket: Literal["current", "1-30", "31-60", "61-90", "90+"]
    amount: Amount
    count: int


class TrendMonth(PublicSchema):
    month: str
    invoiced: Amount
    collected: Amount
    overdue_at_month_end: Amount


class MovementCounts(PublicSchema):
    new: int
    expansion: int
    contraction: int
    churned: int
    reactivated: int


class MovementMonth(PublicSchema):
    month: str
    new: Amount
    expansion: Amount
    contraction: Amount
    churned: Amount
    reactivated: Amount
    net: Amount
    counts: MovementCounts


class MetricMonth(PublicSchema):
    month: str
    metric_id: int
    metric_code: str
    metric_name: str
    unit: str
    quantity: SignedQuantity
    amount: Amount


class TopCustomer(PublicSchema):
    customer_id: int
    customer_code: str
    company_name: str
    invoiced: Amount


class Count(PublicSchema):
    key: str | int | None
    count: int


class OwnerCount(Count):
    label: str | None


class CustomerCounts(PublicSchema):
    total: int
    high_churn_risk: int
    by_status: list[Count]
    by_level: list[Count]
    by_industry: list[Count]
    by_owner: list[OwnerCount]
    by_tier: list[Count]
    by_lifecycle: list[Count]


class BlockError(PublicSchema):
    figure: str
    message: str


class Dashboard(PublicSchema):
    as_of: dt.date
    start: dt.date = Field(serialization_alias="from")
    end: dt.date = Field(serialization_alias="to")
    previous_from: dt.date
    previous_to: dt.date
    owner_id: int | None
    computed_at: dt.datetime = Field(
        description="when these figures were computed (the same until something is written)"
    )
    scores_computed_at: dt.datetime | None
    figures: Figures | None
    aging: list[BucketAmount] | None
    trend: list[TrendMonth] | None
    movements: list[MovementMonth] | None
    usage: list[MetricMonth] | None
    top_customers: list[TopCustomer] | None
    customers: CustomerCounts | None
    errors: list[BlockError]


class AgingTotals(PublicSchema):
    """The total row over every matching customer (not just the page)."""

    current: Amount
    d1_30: Amount
    d31_60: Amount
    d61_90: Amount
    d90_plus: Amount
    total: Amount
    customers: int


class AgingPage(PublicSchema):
    as_of: dt.date
    buckets: list[AgingBucket]
    totals: AgingTotals
    items: list[AgingCustomer]
    total: int
    page: int
    page_size: int


class OpenInvoice(PublicSchema):
    id: int
    number: str
    period: str
    issue_date: dt.date
    due_date: dt.date
    total: Amount
    outstanding: Amount
    status: str
    days_past_due: int
    bucket: str


class AgingInvoices(PublicSchema):
    as_of: dt.date
    customer_id: int
    customer_code: str
    company_name: str
    items: list[OpenInvoice]


class DayPoint(PublicSchema):
    day: dt.date
    quantity: SignedQuantity


class MonthPoint(PublicSchema):
    month: str
    quantity: SignedQuantity
    change: OneDecimal | None


class MetricSeries(PublicSchema):
    metric_id: int
    metric_code: str
    metric_name: str
    unit: str


class DailySeries(MetricSeries):
    points: list[DayPoint]


class MonthlySeries(MetricSeries):
    points: list[MonthPoint]


class BillingMonth(PublicSchema):
    month: str
    invoiced: Amount
    paid: Amount


class PaymentBehaviour(PublicSchema):
    invoices_due: int
    on_time: int
    on_time_ratio: OneDecimal | None
    average_days_late: OneDecimal | None
    longest_overdue_days: int
    overdue_amount: Amount


class Churn(PublicSchema):
    score: int
    level: Literal["none", "watch", "high"]
    reasons: list[dict[str, Any]] = Field(description="{code, points, value, message}, with their numbers")


class Credit(PublicSchema):
    score: int
    factors: list[dict[str, Any]] = Field(
        description="{code, points, max_points, value, message}; points add up"
    )


class ScoreAnswer(PublicSchema):
    score_day: dt.date
    computed_at: dt.datetime
    value_tier: Literal["S", "A", "B", "C"]
    trailing_invoiced: Amount
    lifecycle: str
    churn: Churn
    credit: Credit


class CustomerAnalytics(PublicSchema):
    customer_id: int
    as_of: dt.date
    usage_daily: list[DailySeries]
    usage_monthly: list[MonthlySeries]
    billing_monthly: list[BillingMonth]
    payment_behaviour: PaymentBehaviour
    score: ScoreAnswer | None
