"""Metrics, pricing plans with dated versions, and subscriptions (DESIGN §5).

A plan's terms live on its versions: billing prices a period with the version in force on the
period's first day, and once an invoice has used a version (``billed_at``) that version is
frozen: editing the plan then writes a new version instead (an issued invoice keeps its own).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields

from opcms.core.models import AuditedModel, foreign_key

if TYPE_CHECKING:
    from opcms.customers.models import Customer


class UsageMetric(AuditedModel):
    """Something metered and sold, e.g. ``api_calls`` counted in 次."""

    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=64)
    unit = fields.CharField(max_length=16)
    is_active = fields.BooleanField(default=True)

    class Meta:
        table = "usage_metric"
        ordering = ("code",)


class PricingPlan(AuditedModel):
    """A named price list for one metric, whose terms are on its versions."""

    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=100)
    metric: fields.ForeignKeyRelation[UsageMetric] = foreign_key("opcms.UsageMetric", "plans")
    metric_id: int
    currency = fields.CharField(max_length=3, default="CNY")
    description = fields.CharField(max_length=255, null=True)

    class Meta:
        table = "pricing_plan"
        ordering = ("code",)


class PricingPlanVersion(AuditedModel):
    """The terms of a plan from ``effective_from`` until the next version starts."""

    plan: fields.ForeignKeyRelation[PricingPlan] = foreign_key("opcms.PricingPlan", "versions")
    plan_id: int
    version = fields.IntField()
    effective_from = fields.DateField()
    mode = fields.CharField(max_length=16)  # a PricingMode value (pricing/plan.py)
    unit_price = fields.DecimalField(max_digits=18, decimal_places=6, null=True)
    # [{"up_to": "10000" | null, "unit_price": "0.010000", "flat_fee": "0.00"}, ...]: strings, exact
    tiers: fields.JSONField[list[dict[str, Any]]] = fields.JSONField(default=list)
    package_size = fields.DecimalField(max_digits=20, decimal_places=4, null=True)
    package_price = fields.DecimalField(max_digits=18, decimal_places=6, null=True)
    monthly_fee = fields.DecimalField(max_digits=18, decimal_places=2, default=0)
    included_quantity = fields.DecimalField(max_digits=20, decimal_places=4, default=0)
    minimum_amount = fields.DecimalField(max_digits=18, decimal_places=2, default=0)
    # set by billing when an invoice line first uses this version; a billed version is frozen
    billed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "pricing_plan_version"
        unique_together = (("plan", "version"), ("plan", "effective_from"))
        ordering = ("plan_id", "effective_from")


class Subscription(AuditedModel):
    """A customer buys one metric on one plan between two dates (both inclusive)."""

    customer: fields.ForeignKeyRelation[Customer] = foreign_key("opcms.Customer", "subscriptions")
    customer_id: int
    metric: fields.ForeignKeyRelation[UsageMetric] = foreign_key("opcms.UsageMetric", "subscriptions")
    metric_id: int
    plan: fields.ForeignKeyRelation[PricingPlan] = foreign_key("opcms.PricingPlan", "subscriptions")
    plan_id: int
    effective_from = fields.DateField()
    effective_to = fields.DateField(null=True)
    discount_percent = fields.DecimalField(max_digits=5, decimal_places=2, default=0)
    remark = fields.CharField(max_length=255, null=True)

    class Meta:
        table = "subscription"
        indexes = (("customer_id", "metric_id", "effective_from"),)
        ordering = ("customer_id", "metric_id", "effective_from")
