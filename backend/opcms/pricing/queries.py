"""Pricing reads: metric, plan and subscription lists; a plan with its versions."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from tortoise.expressions import Q

from opcms.core.models import get_or_404
from opcms.core.pagination import paginate, where_given
from opcms.core.schemas import AnswerT, answer
from opcms.core.settings import business_today
from opcms.pricing.models import PricingPlan, PricingPlanVersion, Subscription, UsageMetric
from opcms.pricing.schemas import (
    METRIC_SORTABLE,
    PLAN_SORTABLE,
    SUBSCRIPTION_SORTABLE,
    PlanDetail,
    PlanListQuery,
    PlanPublic,
    SubscriptionListQuery,
    SubscriptionPublic,
    UsageMetricListQuery,
)


async def list_metrics(query: UsageMetricListQuery) -> dict[str, Any]:
    qs = where_given(UsageMetric.all(), query, "is_active")
    if query.q:  # trimmed by the query schema
        qs = qs.filter(Q(code__icontains=query.q) | Q(name__icontains=query.q))
    return await paginate(qs, query, sortable=METRIC_SORTABLE, default_sort="code")


# --- plans --------------------------------------------------------------------------------------
def current_and_latest(versions: list[PricingPlanVersion], today: dt.date) -> tuple[Any, Any]:
    """The version in force today and the one starting last (``versions`` by effective_from)."""
    in_force = [v for v in versions if v.effective_from <= today]
    return (in_force[-1] if in_force else None), (versions[-1] if versions else None)


def plan_public(plan: PricingPlan, versions: list[PricingPlanVersion], today: dt.date) -> PlanPublic:
    return _plan_answer(PlanPublic, plan, versions, today)


def _plan_answer(
    schema: type[AnswerT],
    plan: PricingPlan,
    plan_versions: list[PricingPlanVersion],
    today: dt.date,
    **extra: Any,
) -> AnswerT:
    """``schema`` (PlanPublic or PlanDetail) of a plan; ``extra``: what the schema has beyond
    PlanPublic (a detail's versions)."""
    current, latest = current_and_latest(plan_versions, today)
    return answer(schema, plan, current_version=current, latest_version=latest, **extra)


async def versions_by_plan(plan_ids: list[int]) -> dict[int, list[PricingPlanVersion]]:
    grouped: dict[int, list[PricingPlanVersion]] = defaultdict(list)
    if plan_ids:
        for version in await PricingPlanVersion.filter(plan_id__in=plan_ids).order_by(
            "plan_id", "effective_from"
        ):
            grouped[version.plan_id].append(version)
    return grouped


async def list_plans(query: PlanListQuery) -> dict[str, Any]:
    qs = where_given(PricingPlan.all().select_related("metric"), query, metric__code="metric")
    if query.q:  # trimmed by the query schema
        qs = qs.filter(Q(code__icontains=query.q) | Q(name__icontains=query.q))
    page = await paginate(qs, query, sortable=PLAN_SORTABLE, default_sort="code")
    versions = await versions_by_plan([p.id for p in page["items"]])
    today = business_today()
    page["items"] = [plan_public(p, versions[p.id], today) for p in page["items"]]
    return page


async def plan_detail(plan: PricingPlan) -> PlanDetail:
    versions = await versions_by_plan([plan.id])
    return _plan_answer(PlanDetail, plan, versions[plan.id], business_today(), versions=versions[plan.id])


async def list_versions(plan_id: int) -> list[PricingPlanVersion]:
    return list(await PricingPlanVersion.filter(plan_id=plan_id).order_by("effective_from"))


# --- subscriptions ------------------------------------------------------------------------------
def subscription_public(subscription: Subscription) -> SubscriptionPublic:
    """Needs customer, metric and plan loaded (a deleted plan or customer still shows)."""
    return SubscriptionPublic.model_validate(subscription)


async def load_subscription(subscription_id: int, *, include_deleted: bool = False) -> SubscriptionPublic:
    """One subscription as answered; ``include_deleted``: the one just deleted, for the DELETE's answer."""
    source = Subscription.with_deleted() if include_deleted else Subscription.all()
    subscriptions = source.select_related("customer", "metric", "plan")
    return subscription_public(await get_or_404(subscriptions, subscription_id, "subscription"))


async def list_subscriptions(query: SubscriptionListQuery) -> dict[str, Any]:
    subscriptions = Subscription.all().select_related("customer", "metric", "plan")
    qs = where_given(subscriptions, query, "customer_id", "plan_id", metric__code="metric")
    if query.active_on is not None:
        qs = qs.filter(
            Q(effective_to=None) | Q(effective_to__gte=query.active_on), effective_from__lte=query.active_on
        )
    page = await paginate(qs, query, sortable=SUBSCRIPTION_SORTABLE, default_sort="-id")
    page["items"] = [subscription_public(s) for s in page["items"]]
    return page
