"""Usage routes: records, anomaly review, pulls (data sources and uploads: sources/api.py)."""

from __future__ import annotations

from sanic import Blueprint, Request

from opcms.core.http import endpoint
from opcms.core.models import get_or_404
from opcms.jobs.models import TaskExecution
from opcms.jobs.schemas import ExecutionPage, ExecutionPublic, ExecutionQuery
from opcms.usage import queries, review, service
from opcms.usage.queries import PULL_TASKS
from opcms.usage.schemas import (
    AnomalyPage,
    AnomalyQuery,
    AnomalyReview,
    AnomalyReviewResult,
    DailyUsageList,
    DailyUsageQuery,
    PullRequest,
    UsageRecordPage,
    UsageRecordQuery,
)

bp = Blueprint("usage", url_prefix="/api/v1")


@bp.get("/usage-records")
@endpoint(permission="usage:read", query=UsageRecordQuery, response=UsageRecordPage, tag="usage")
async def list_usage_records(request: Request, query: UsageRecordQuery) -> UsageRecordPage:
    """Billable usage by customer, metric, day and source; `late=true` lists late usage."""
    return UsageRecordPage.model_validate(await queries.list_records(query))


@bp.get("/usage-records/daily")
@endpoint(permission="usage:read", query=DailyUsageQuery, response=DailyUsageList, tag="usage")
async def daily_usage(request: Request, query: DailyUsageQuery) -> DailyUsageList:
    """A customer's billable usage per day and metric (sources summed), for charts."""
    return DailyUsageList.model_validate(
        {"customer_id": query.customer_id, "items": await queries.daily_usage(query)}
    )


@bp.get("/usage-anomalies")
@endpoint(permission="usage:read", query=AnomalyQuery, response=AnomalyPage, tag="usage")
async def list_usage_anomalies(request: Request, query: AnomalyQuery) -> AnomalyPage:
    """Usage held back from billing (open ones by default)."""
    return AnomalyPage.model_validate(await queries.list_anomalies(query))


@bp.post("/usage-anomalies/actions")
@endpoint(permission="usage:review", body=AnomalyReview, response=AnomalyReviewResult, tag="usage")
async def review_usage_anomalies(request: Request, body: AnomalyReview) -> AnomalyReviewResult:
    """Accept, correct (quantity + reason) or reject open anomalies: all or nothing."""
    result = await review.review(body.ids, body.action, quantity=body.quantity, reason=body.reason)
    return AnomalyReviewResult(action=result.action, affected=result.affected, written=result.written)


@bp.post("/usage/pulls")
@endpoint(permission="usage:ingest", body=PullRequest, response=ExecutionPublic, status=202, tag="usage")
async def request_usage_pull(request: Request, body: PullRequest) -> ExecutionPublic:
    """Queue a pull of one day or a back-fill of a range for a worker; answers the pending execution
    (409 while the same pull is pending or running: the attempt is recorded as skipped)."""
    first_day, last_day = body.days
    return ExecutionPublic.model_validate(await service.request_pull(first_day, last_day, body.source))


@bp.get("/usage/pulls")
@endpoint(permission="usage:read", query=ExecutionQuery, response=ExecutionPage, tag="usage")
async def list_usage_pulls(request: Request, query: ExecutionQuery) -> ExecutionPage:
    """Usage pulls and uploads, newest first, with their counters."""
    return ExecutionPage.model_validate(await queries.list_pulls(query))


@bp.get("/usage/pulls/<execution_id:int>")
@endpoint(permission="usage:read", response=ExecutionPublic, tag="usage")
async def get_usage_pull(request: Request, execution_id: int) -> ExecutionPublic:
    """One pull with its counters and log excerpt."""
    execution = await get_or_404(TaskExecution.filter(task_name__in=PULL_TASKS), execution_id, "usage pull")
    return ExecutionPublic.model_validate(execution)
