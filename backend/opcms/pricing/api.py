"""Pricing routes: metrics, plans and versions, subscriptions, price previews (thin handlers)."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from opcms.core.http import endpoint
from opcms.core.schemas import DeleteQuery, dump
from opcms.pricing import queries, service
from opcms.pricing.schemas import (
    PlanCreate,
    PlanDetail,
    PlanListQuery,
    PlanPage,
    PlanUpdate,
    PreviewRequest,
    PreviewResponse,
    SubscriptionCreate,
    SubscriptionListQuery,
    SubscriptionPage,
    SubscriptionPublic,
    SubscriptionUpdate,
    UsageMetricCreate,
    UsageMetricListQuery,
    UsageMetricPage,
    UsageMetricPublic,
    UsageMetricUpdate,
    VersionCreate,
    VersionList,
    VersionPublic,
)

bp = Blueprint("pricing", url_prefix="/api/v1")
TAG = "pricing"


# --- usage metrics ------------------------------------------------------------------------------
@bp.get("/usage-metrics")
@endpoint(permission="pricing:read", query=UsageMetricListQuery, response=UsageMetricPage, tag=TAG)
async def list_metrics(request: Request, query: UsageMetricListQuery) -> UsageMetricPage:
    """List metered things (api_calls, sms…)."""
    return UsageMetricPage.model_validate(await queries.list_metrics(query))


@bp.post("/usage-metrics")
@endpoint(permission="pricing:write", body=UsageMetricCreate, response=UsageMetricPublic, status=201, tag=TAG)
async def create_metric(request: Request, body: UsageMetricCreate) -> UsageMetricPublic:
    """Add a metric (409 if the code is taken)."""
    return UsageMetricPublic.model_validate(await service.create_metric(body))


@bp.patch("/usage-metrics/<metric_id:int>")
@endpoint(permission="pricing:write", body=UsageMetricUpdate, response=UsageMetricPublic, tag=TAG)
async def update_metric(request: Request, metric_id: int, body: UsageMetricUpdate) -> UsageMetricPublic:
    """Rename a metric, change its unit, or retire it (is_active=false)."""
    return UsageMetricPublic.model_validate(await service.update_metric(metric_id, body))


# --- plans --------------------------------------------------------------------------------------
@bp.get("/pricing-plans")
@endpoint(permission="pricing:read", query=PlanListQuery, response=PlanPage, tag=TAG)
async def list_plans(request: Request, query: PlanListQuery) -> PlanPage:
    """List live plans, each with its version in force today and its latest version."""
    return PlanPage.model_validate(await queries.list_plans(query))


@bp.post("/pricing-plans")
@endpoint(permission="pricing:write", body=PlanCreate, response=PlanDetail, status=201, tag=TAG)
async def create_plan(request: Request, body: PlanCreate) -> PlanDetail:
    """Create a plan from a plan document: the plan and its version 1."""
    return await queries.plan_detail(await service.create_plan(body))


@bp.get("/pricing-plans/<plan_id:int>")
@endpoint(permission="pricing:read", response=PlanDetail, tag=TAG)
async def get_plan(request: Request, plan_id: int) -> PlanDetail:
    """A plan with all its versions (a deleted plan is a 404)."""
    return await queries.plan_detail(await service.get_plan(plan_id))


@bp.patch("/pricing-plans/<plan_id:int>")
@endpoint(permission="pricing:write", body=PlanUpdate, response=PlanDetail, tag=TAG)
async def update_plan(request: Request, plan_id: int, body: PlanUpdate) -> PlanDetail:
    """Rename a plan or change its description (terms change through a new version)."""
    return await queries.plan_detail(await service.update_plan(plan_id, body))


@bp.delete("/pricing-plans/<plan_id:int>")
@endpoint(permission="pricing:write", query=DeleteQuery, response=PlanDetail, tag=TAG)
async def delete_plan(request: Request, plan_id: int, query: DeleteQuery) -> PlanDetail:
    """Soft-delete a plan (409 while a current or future subscription uses it)."""
    return await queries.plan_detail(await service.delete_plan(plan_id, query.reason))


@bp.get("/pricing-plans/<plan_id:int>/versions")
@endpoint(permission="pricing:read", response=VersionList, tag=TAG)
async def list_versions(request: Request, plan_id: int) -> VersionList:
    """The versions of a plan, by effective_from (a deleted plan is a 404)."""
    plan = await service.get_plan(plan_id)
    return VersionList(items=[VersionPublic.model_validate(v) for v in await queries.list_versions(plan.id)])


@bp.post("/pricing-plans/<plan_id:int>/versions")
@endpoint(permission="pricing:write", body=VersionCreate, response=VersionPublic, status=201, tag=TAG)
async def add_version(request: Request, plan_id: int, body: VersionCreate) -> HTTPResponse:
    """New terms from effective_from: 201 with a new version, or 200 when the unbilled version
    of that very date was edited in place; 409 when it would change a billed version."""
    version, created = await service.add_version(plan_id, body)
    return json(dump(VersionPublic.model_validate(version)), status=201 if created else 200)


# --- subscriptions ------------------------------------------------------------------------------
@bp.get("/subscriptions")
@endpoint(permission="pricing:read", query=SubscriptionListQuery, response=SubscriptionPage, tag=TAG)
async def list_subscriptions(request: Request, query: SubscriptionListQuery) -> SubscriptionPage:
    """List live subscriptions by customer, metric, plan or the day they are in force."""
    return SubscriptionPage.model_validate(await queries.list_subscriptions(query))


@bp.get("/subscriptions/<subscription_id:int>")
@endpoint(permission="pricing:read", response=SubscriptionPublic, tag=TAG)
async def get_subscription(request: Request, subscription_id: int) -> SubscriptionPublic:
    """One subscription (a deleted one is a 404; invoice lines keep what they priced)."""
    return await queries.load_subscription(subscription_id)


@bp.post("/subscriptions")
@endpoint(
    permission="pricing:write", body=SubscriptionCreate, response=SubscriptionPublic, status=201, tag=TAG
)
async def create_subscription(request: Request, body: SubscriptionCreate) -> SubscriptionPublic:
    """Subscribe a customer to a plan (409 subscription_overlap if its dates meet another one
    for the same metric)."""
    subscription = await service.create_subscription(body)
    return await queries.load_subscription(subscription.id)


@bp.patch("/subscriptions/<subscription_id:int>")
@endpoint(permission="pricing:write", body=SubscriptionUpdate, response=SubscriptionPublic, tag=TAG)
async def update_subscription(
    request: Request, subscription_id: int, body: SubscriptionUpdate
) -> SubscriptionPublic:
    """End (or reopen) a subscription, change its discount or remark."""
    subscription = await service.update_subscription(subscription_id, body)
    return await queries.load_subscription(subscription.id)


@bp.delete("/subscriptions/<subscription_id:int>")
@endpoint(permission="pricing:write", query=DeleteQuery, response=SubscriptionPublic, tag=TAG)
async def delete_subscription(
    request: Request, subscription_id: int, query: DeleteQuery
) -> SubscriptionPublic:
    """Soft-delete a subscription."""
    subscription = await service.delete_subscription(subscription_id, query.reason)
    return await queries.load_subscription(subscription.id, include_deleted=True)


# --- preview ------------------------------------------------------------------------------------
@bp.post("/pricing/preview")
@endpoint(permission="pricing:preview", body=PreviewRequest, response=PreviewResponse, tag=TAG)
async def preview(request: Request, body: PreviewRequest) -> PreviewResponse:
    """Price a quantity on a plan document or a stored plan: the invoice line it would make."""
    price, version = await service.preview(body)
    return PreviewResponse.of(price, version)
