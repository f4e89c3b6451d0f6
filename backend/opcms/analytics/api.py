"""Analytics routes: the dashboard, the aging report on screen (and as a workbook), its
drill-down, and one customer's analytics. Operators see the customers they own by default."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sanic import Blueprint, Request

from opcms.analytics import service
from opcms.analytics.schemas import (
    MAX_RANGE_DAYS,
    AgingInvoices,
    AgingPage,
    AgingPageQuery,
    AgingWorkbookQuery,
    AsOfQuery,
    CustomerAnalytics,
    Dashboard,
    DashboardQuery,
)
from opcms.auth.models import User
from opcms.billing import queries as billing_queries
from opcms.billing.reports.api import send_aging_workbook
from opcms.core.errors import Forbidden, ValidationFailed
from opcms.core.excel import XLSX_MEDIA_TYPE
from opcms.core.http import endpoint
from opcms.core.permissions import allows
from opcms.core.schemas import dump
from opcms.core.settings import business_today

bp = Blueprint("analytics", url_prefix="/api/v1")


async def board_owner(request: Request, owner: str | None) -> int | None:
    """Whose customers a board shows. With ``analytics:all_owners`` (finance, admins, auditors):
    everyone's unless an owner is picked. Without it (operators): the customers one owns, and
    asking for anyone else's is a 403."""
    user: User = request.ctx.user
    all_owners = allows(user.role, "analytics:all_owners")
    if owner is None:
        owner = "all" if all_owners else "me"
    owner_id = None if owner == "all" else user.id if owner == "me" else int(owner)
    if not all_owners and owner_id != user.id:
        raise Forbidden(
            "you see the boards of the customers you own (analytics:all_owners is needed for others)",
            code="forbidden",
            key="analytics_own_customers_only",
        )
    if owner_id is not None and owner_id != user.id and not await User.filter(id=owner_id).exists():
        raise ValidationFailed.field(
            "owner", f"no user {owner_id}", code="no_such_user", params={"id": owner_id}
        )
    return owner_id


@bp.get("/analytics/dashboard")
@endpoint(permission="analytics:read", query=DashboardQuery, response=Dashboard, tag="analytics")
async def dashboard(request: Request, query: DashboardQuery) -> dict[str, Any]:
    """The finance board: figures against the previous range, aging, 12-month trend, revenue
    movements, usage by metric, top customers and customer counts. A block that fails answers
    null and is named in ``errors``; the rest still answer."""
    today = business_today()
    end = query.end or today
    start = query.start or min(today, end).replace(day=1)
    if start > end:
        raise ValidationFailed.field("from", "must not be after to", code="not_after", params={"other": "to"})
    # the query checks the length only when both ends are sent; with `to` left to today a
    # `from` years back would still be a range past the limit (docs/analytics.md: 422)
    if (end - start).days >= MAX_RANGE_DAYS:
        raise ValidationFailed.field(
            "from", "the range must not be longer than 3 years", code="range_over_3_years"
        )
    owner_id = await board_owner(request, query.owner)
    answer = await service.dashboard(service.Board(start=start, end=end, as_of=today, owner_id=owner_id))
    return Dashboard.model_validate(answer).model_dump(mode="json", by_alias=True)


@bp.get("/analytics/aging")
@endpoint(permission="analytics:read", query=AgingPageQuery, response=AgingPage, tag="analytics")
async def aging(request: Request, query: AgingPageQuery) -> AgingPage:
    """Outstanding per customer by days past due, sortable and paged, with the bucket summary
    and a total row (the same numbers as ``/analytics/aging.xlsx``)."""
    owner_id = await board_owner(request, query.owner)
    report = await service.aging_report(
        query.as_of or business_today(),
        owner_id=owner_id,
        customer_id=query.customer_id,
        sort=query.sort,
        page=query.page,
        page_size=query.page_size,
    )
    return AgingPage.model_validate(report)


@bp.get("/analytics/aging.xlsx")
@endpoint(permission="analytics:read", query=AgingWorkbookQuery, produces=XLSX_MEDIA_TYPE, tag="analytics")
async def aging_workbook(request: Request, query: AgingWorkbookQuery) -> None:
    """The aging report with the same filters as an .xlsx file."""
    owner_id = await board_owner(request, query.owner)
    report = await billing_queries.aging(
        query.as_of or business_today(), owner_id=owner_id, customer_id=query.customer_id
    )
    await send_aging_workbook(request, report)


@bp.get("/analytics/aging/customers/<customer_id:int>/invoices")
@endpoint(permission="analytics:read", query=AsOfQuery, response=AgingInvoices, tag="analytics")
async def aging_invoices(request: Request, customer_id: int, query: AsOfQuery) -> AgingInvoices:
    """One customer's open invoices with their days past due and bucket."""
    return AgingInvoices.model_validate(
        await service.aging_invoices(customer_id, query.as_of or business_today())
    )


@bp.get("/customers/<customer_id:int>/analytics")
@endpoint(permission="analytics:read", query=AsOfQuery, response=CustomerAnalytics, tag="analytics")
async def customer_analytics(request: Request, customer_id: int, query: AsOfQuery) -> dict[str, Any]:
    """Usage per metric per day (90 days) and month (13), invoiced and paid per month, payment
    behaviour, and the latest scores with their reasons and factors."""
    as_of: dt.date = query.as_of or business_today()
    return dump(CustomerAnalytics.model_validate(await service.customer_analytics(customer_id, as_of)))
