"""Usage request and response shapes: records, anomalies and their review, pulls."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Protocol, TypeVar

from pydantic import Field, model_validator

from opcms.core.i18n import Invalid
from opcms.core.money import Quantity, SignedQuantity
from opcms.core.schemas import Id, MultiLine, Page, PageQuery, PublicSchema, Schema, sort_by
from opcms.usage.models import AnomalyKind, AnomalyStatus
from opcms.usage.review import MAX_BATCH, ReviewAction


def _ordered(first: dt.date | None, last: dt.date | None, names: tuple[str, str]) -> None:
    if first and last and last < first:
        raise Invalid(
            "field_not_before", "{field} must not be before {other}", field=names[1], other=names[0]
        )


class _DayRange(Protocol):
    day_from: dt.date | None
    day_to: dt.date | None


DayRangeT = TypeVar("DayRangeT", bound=_DayRange)


def _days_in_order(query: DayRangeT) -> DayRangeT:
    """The after-validator of a query filtering by ``day_from``…``day_to`` (either optional)."""
    _ordered(query.day_from, query.day_to, ("day_from", "day_to"))
    return query


# --- usage records ---------------------------------------------------------------------------------
RECORD_SORTABLE = ("id", "usage_day", "quantity", "customer_id", "updated_at")


class UsageRecordQuery(PageQuery):
    customer_id: Id | None = None
    metric: str | None = Field(default=None, max_length=32, description="metric code")
    source_id: Id | None = None
    day_from: dt.date | None = None
    day_to: dt.date | None = None
    late: bool | None = Field(default=None, description="only late usage (written into an invoiced period)")
    sort: str | None = sort_by(*RECORD_SORTABLE)

    _range = model_validator(mode="after")(_days_in_order)


class UsageRecordPublic(PublicSchema):
    id: int
    customer_id: int
    customer_code: str
    company_name: str
    metric_id: int
    metric: str = Field(description="metric code")
    usage_day: dt.date
    source_id: int
    quantity: Quantity
    is_late: bool
    late_at: dt.datetime | None
    anomaly_id: int | None
    execution_id: int | None
    updated_at: dt.datetime


class UsageRecordPage(Page[UsageRecordPublic]):
    pass


class DailyUsageQuery(Schema):
    customer_id: Id
    day_from: dt.date
    day_to: dt.date

    @model_validator(mode="after")
    def _range(self) -> DailyUsageQuery:
        _ordered(self.day_from, self.day_to, ("day_from", "day_to"))
        if (self.day_to - self.day_from).days >= 366:
            raise Invalid("at_most_366_days", "at most 366 days at once")
        return self


class DailyUsage(Schema):
    usage_day: dt.date
    metric: str
    quantity: Quantity = Field(description="billable usage of the day, all sources together")


class DailyUsageList(Schema):
    customer_id: int
    items: list[DailyUsage]


# --- anomalies -------------------------------------------------------------------------------------
ANOMALY_SORTABLE = ("id", "usage_day", "kind", "created_at", "customer_id")


class AnomalyQuery(PageQuery):
    status: AnomalyStatus | Literal["all"] = Field(
        default=AnomalyStatus.OPEN, description="open by default; all for every status"
    )
    kind: AnomalyKind | None = None
    source_id: Id | None = None
    customer_id: Id | None = None
    day_from: dt.date | None = None
    day_to: dt.date | None = None
    sort: str | None = sort_by(*ANOMALY_SORTABLE)

    _range = model_validator(mode="after")(_days_in_order)


class AnomalyPublic(PublicSchema):
    id: int
    source_id: int
    kind: AnomalyKind
    status: AnomalyStatus
    external_account: str
    metric_code: str
    raw_day: str
    raw_quantity: str
    customer_id: int | None
    customer_code: str | None = None
    company_name: str | None = None
    metric_id: int | None
    usage_day: dt.date | None
    quantity: SignedQuantity | None
    detail: str
    corrected_quantity: Quantity | None
    resolution_reason: str | None
    resolved_by: str | None
    resolved_at: dt.datetime | None
    execution_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class AnomalyPage(Page[AnomalyPublic]):
    pass


class AnomalyReview(Schema):
    ids: list[Id] = Field(min_length=1, max_length=MAX_BATCH)
    action: ReviewAction
    quantity: Quantity | None = Field(default=None, description="the corrected quantity (correct only)")
    reason: Annotated[str, MultiLine] | None = Field(
        default=None, max_length=255, description="required to correct or reject"
    )


class AnomalyReviewResult(Schema):
    action: ReviewAction
    affected: int
    written: int = Field(description="usage records written (accept and correct)")


# --- pulls -----------------------------------------------------------------------------------------
class PullDays(Schema):
    """The days and source of a pull, as the API request and the job's parameters name them."""

    day: dt.date | None = None
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    source: str | None = Field(
        default=None, max_length=64, description="one data source by name; all enabled when empty"
    )


class PullRequest(PullDays):
    """One day (``day``) or a back-fill (``first_day``…``last_day``, inclusive)."""

    @model_validator(mode="after")
    def _one_shape(self) -> PullRequest:
        if self.day is not None and (self.first_day or self.last_day):
            raise Invalid("day_or_range_not_both", "give either day or first_day and last_day, not both")
        if self.day is None and not (self.first_day and self.last_day):
            raise Invalid("day_or_range", "give day, or first_day and last_day")
        return self

    @property
    def days(self) -> tuple[dt.date, dt.date]:
        if self.day is not None:
            return self.day, self.day
        assert self.first_day and self.last_day
        return self.first_day, self.last_day
