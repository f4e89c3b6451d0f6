"""Pricing request and response shapes: metrics, plans with dated versions, subscriptions,
previews. The terms of a plan (mode, tiers, fees) and their rules live in ``pricing.plan``;
this module only adds what the HTTP resources need around them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from opcms.core.i18n import Invalid
from opcms.core.money import CENT, NonNegativeAmount, Quantity, UnitPrice, written_as
from opcms.core.schemas import (
    MAX_ID,
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
from opcms.pricing.plan import PlanDocument, PlanTerms, PricingMode, Tier, plain

METRIC_CODE_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"
PLAN_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$"

MetricCode = Annotated[str, Field(pattern=METRIC_CODE_PATTERN, description="e.g. api_calls")]
PlanCode = Annotated[str, Field(pattern=PLAN_CODE_PATTERN, description="e.g. API-STD-2024")]
Blank = BeforeValidator(blank_to_none)
Description = Annotated[Annotated[str, Field(max_length=255)] | None, Blank, MultiLine]
# discount_percent is DECIMAL(5,2) between 0 and 100, a string in JSON like money; the pattern
# says the bounds too (up to 99.99, or 100 itself)
PERCENT_PATTERN = r"^([0-9]{1,2}(\.[0-9]{1,2})?|100(\.0{1,2})?)$"
Percent = Annotated[
    Decimal,
    Field(ge=0, le=100, max_digits=5, decimal_places=2),
    written_as(PERCENT_PATTERN, "10.00"),
    WithJsonSchema({"type": "string", "pattern": PERCENT_PATTERN, "example": "10.00"}),
]


# --- usage metrics ------------------------------------------------------------------------------
class UsageMetricCreate(Schema):
    code: MetricCode
    name: str = Field(min_length=1, max_length=64)
    unit: str = Field(min_length=1, max_length=16, description="e.g. 次, GB, 条")


class UsageMetricUpdate(PatchSchema):
    not_null = ("name", "unit", "is_active")

    name: str | None = Field(default=None, min_length=1, max_length=64)
    unit: str | None = Field(default=None, min_length=1, max_length=16)
    is_active: bool | None = Field(
        default=None, description="false retires the metric: no new plans or subscriptions"
    )


class UsageMetricPublic(PublicSchema):
    id: int
    code: str
    name: str
    unit: str
    is_active: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by: str | None
    updated_by: str | None


class UsageMetricPage(Page[UsageMetricPublic]):
    pass


METRIC_SORTABLE = ("id", "code", "name", "created_at", "updated_at")


class UsageMetricListQuery(PageQuery):
    q: str | None = Field(default=None, max_length=64, description="part of the code or name")
    is_active: bool | None = None
    sort: str | None = sort_by(*METRIC_SORTABLE)


# --- plans and versions -------------------------------------------------------------------------
class PlanCreate(PlanDocument):
    """A new plan and its version 1: the plan document (metric + terms) plus the plan's names."""

    code: PlanCode
    name: str = Field(min_length=1, max_length=100)
    description: Description = None
    effective_from: dt.date | None = Field(
        default=None, description="first day of version 1; default today (Asia/Shanghai)"
    )


class PlanUpdate(PatchSchema):
    """Names only: the terms change through a new version (POST /pricing-plans/{id}/versions)."""

    not_null = ("name",)

    name: str | None = Field(default=None, min_length=1, max_length=100)
    description: Description = None


class VersionCreate(PlanTerms):
    """New terms from ``effective_from``. ``metric`` may be sent (a whole plan document) but
    must be the plan's own metric: a plan prices one metric for life."""

    metric: MetricCode | None = None
    effective_from: dt.date | None = Field(default=None, description="default today (Asia/Shanghai)")


class VersionPublic(PublicSchema):
    id: int
    version: int
    effective_from: dt.date
    mode: PricingMode
    unit_price: UnitPrice | None
    tiers: list[Tier]
    package_size: Quantity | None
    package_price: UnitPrice | None
    monthly_fee: NonNegativeAmount
    included_quantity: Quantity
    minimum_amount: NonNegativeAmount
    billed_at: dt.datetime | None = Field(
        description="set when an invoice first used this version: it is frozen"
    )
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by: str | None
    updated_by: str | None


class VersionList(Schema):
    items: list[VersionPublic]


class PlanPublic(PublicSchema):
    id: int
    code: str
    name: str
    metric: str = Field(
        description="the metric's code", validation_alias=of_related("metric", "code", "metric")
    )
    metric_id: int
    metric_name: str = Field(validation_alias=of_related("metric", "name", "metric_name"))
    unit: str = Field(validation_alias=of_related("metric", "unit", "unit"))
    currency: str
    description: str | None
    current_version: VersionPublic | None = Field(description="the version in force today (Asia/Shanghai)")
    latest_version: VersionPublic | None = Field(description="the version that starts last")
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by: str | None
    updated_by: str | None


class PlanDetail(PlanPublic):
    versions: list[VersionPublic] = Field(description="all versions, by effective_from")


class PlanPage(Page[PlanPublic]):
    pass


PLAN_SORTABLE = ("id", "code", "name", "created_at", "updated_at")


class PlanListQuery(PageQuery):
    metric: str | None = Field(default=None, max_length=32, description="metric code")
    q: str | None = Field(default=None, max_length=100, description="part of the code or name")
    sort: str | None = sort_by(*PLAN_SORTABLE)


# --- subscriptions ------------------------------------------------------------------------------
def _not_before_from(value: dt.date | None, info: ValidationInfo) -> dt.date | None:
    start = info.data.get("effective_from")
    if value is not None and start is not None and value < start:
        raise Invalid("not_before", "must not be before {other}", other="effective_from")
    return value


class SubscriptionCreate(Schema):
    customer_id: Id
    plan_id: Id = Field(description="the metric is the plan's")
    effective_from: dt.date
    effective_to: dt.date | None = Field(default=None, description="last day, inclusive; null = open-ended")
    discount_percent: Percent = Decimal("0")
    remark: Description = None

    _dates = field_validator("effective_to")(_not_before_from)


class SubscriptionUpdate(PatchSchema):
    not_null = ("discount_percent",)

    effective_to: dt.date | None = Field(default=None, description="last day, inclusive; null = open-ended")
    discount_percent: Percent | None = None
    remark: Description = None


class SubscriptionPublic(PublicSchema):
    id: int
    customer_id: int
    customer_code: str = Field(validation_alias=of_related("customer", "customer_code", "customer_code"))
    company_name: str = Field(validation_alias=of_related("customer", "company_name", "company_name"))
    metric: str = Field(
        description="the metric's code", validation_alias=of_related("metric", "code", "metric")
    )
    metric_id: int
    plan_id: int
    plan_code: str = Field(validation_alias=of_related("plan", "code", "plan_code"))
    plan_name: str = Field(validation_alias=of_related("plan", "name", "plan_name"))
    effective_from: dt.date
    effective_to: dt.date | None
    discount_percent: Percent
    remark: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by: str | None
    updated_by: str | None


class SubscriptionPage(Page[SubscriptionPublic]):
    pass


SUBSCRIPTION_SORTABLE = (
    "id",
    "customer_id",
    "plan_id",
    "effective_from",
    "effective_to",
    "created_at",
    "updated_at",
)


class SubscriptionListQuery(PageQuery):
    customer_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    metric: str | None = Field(default=None, max_length=32, description="metric code")
    plan_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    active_on: dt.date | None = Field(default=None, description="subscriptions in force on this day")
    sort: str | None = sort_by(*SUBSCRIPTION_SORTABLE)


# --- preview ------------------------------------------------------------------------------------
class PreviewRequest(Schema):
    """Price a quantity on a plan document (``plan``) or on a stored plan (``plan_id``, the
    version in force ``on`` a day, default today): exactly one of the two."""

    plan: PlanDocument | None = None
    plan_id: Id | None = None
    on: dt.date | None = Field(
        default=None, description="with plan_id: the day whose version prices; default today"
    )
    quantity: Quantity
    days_active: int | None = Field(
        default=None, ge=1, le=31, description="prorate the monthly fee and minimum: days subscribed"
    )
    days_in_period: int | None = Field(default=None, ge=1, le=31, description="prorate: days in the month")
    discount_percent: Percent = Decimal("0")

    @model_validator(mode="after")
    def _one_plan(self) -> PreviewRequest:
        if (self.plan is None) == (self.plan_id is None):
            raise Invalid("plan_or_plan_id", "give exactly one of plan (a plan document) or plan_id")
        if self.on is not None and self.plan_id is None:
            raise Invalid("on_needs_plan_id", "on applies to plan_id only")
        if (self.days_active is None) != (self.days_in_period is None):
            raise Invalid("proration_needs_both", "proration needs both days_active and days_in_period")
        if (
            self.days_active is not None
            and self.days_in_period is not None
            and self.days_active > self.days_in_period
        ):
            raise Invalid(
                "days_active_too_many",
                "days_active must not exceed days_in_period ({days})",
                days=self.days_in_period,
            )
        return self


class ProrationPublic(BaseModel):
    days_active: int
    days_in_period: int


class TierChargePublic(BaseModel):
    """One breakdown line; figures are exact decimal strings (money with at least 2 decimals)."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True, validate_by_alias=True)

    tier: int
    from_: str = Field(alias="from", description="exclusive lower bound of the tier")
    up_to: str | None = Field(description="inclusive upper bound; null = open-ended")
    quantity: str
    unit_price: str
    flat_fee: str
    amount: str
    packages: str | None = Field(default=None, description="package mode: packages charged")


class PreviewResponse(BaseModel):
    """The priced line (``amount`` rounded once to 0.01 half up: what an invoice line shows)."""

    amount: str = Field(json_schema_extra={"example": "118.76"})
    quantity: str
    billed_quantity: str = Field(description="quantity - included_quantity, at least 0")
    included_quantity: str
    usage_amount: str
    monthly_fee: str = Field(description="prorated when days_active/days_in_period are given")
    minimum_amount: str
    minimum_top_up: str = Field(description="what the minimum added to the charge")
    discount_percent: str
    discount: str
    proration: ProrationPublic | None
    breakdown: list[TierChargePublic]
    plan_id: int | None = Field(default=None, description="with plan_id: the plan priced")
    plan_version: int | None = Field(
        default=None, description="with plan_id: the number of the version in force"
    )
    plan_version_id: int | None = None

    @classmethod
    def of(cls, price: Any, version: Any = None) -> PreviewResponse:
        extra = {}
        if version is not None:
            extra = {
                "plan_id": version.plan_id,
                "plan_version": version.version,
                "plan_version_id": version.id,
            }
        return cls.model_validate({**price.to_dict(), **extra})


def plan_terms_values(terms: PlanTerms) -> dict[str, Any]:
    """The columns of a plan version for these terms; tiers as exact strings ("10000",
    "0.010000", "0.00"), like the document finance typed."""
    values = {name: getattr(terms, name) for name in PlanTerms.model_fields}
    values["mode"] = PricingMode(terms.mode).value
    values["tiers"] = [
        {
            "up_to": None if tier.up_to is None else plain(tier.up_to),
            "unit_price": str(tier.unit_price.quantize(Decimal("0.000001"))),
            "flat_fee": str(tier.flat_fee.quantize(CENT)),
        }
        for tier in terms.tiers
    ]
    return values
