"""Customer list reads: filters, sorting, paging; also the row source of the export."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tortoise.queryset import QuerySet

from opcms.core.list_pages import deferred_page, filters_key
from opcms.core.pagination import matching_any
from opcms.core.settings import business_today
from opcms.customers.models import Customer
from opcms.customers.schemas import SORTABLE, CustomerListQuery


def filtered(query: CustomerListQuery, *, deleted: bool = False, with_owner: bool = True) -> QuerySet:
    """The customers matching the list's filters (no order, no page), with their owners unless
    ``with_owner`` is false."""
    qs = Customer.with_deleted().filter(is_deleted=True) if deleted else Customer.all()
    if with_owner:
        qs = qs.select_related("owner")
    qs = matching_any(
        qs,
        query.keyword,
        "customer_code__icontains",
        "company_name__icontains",
        "short_name__icontains",
        "contact_name__icontains",
        "contact_phone__contains",
    )
    for name in ("status", "level", "industry", "province", "city", "value_tier", "lifecycle", "churn_level"):
        value = getattr(query, name)
        if value is not None:
            qs = qs.filter(**{name: value})
    if query.owner_id is not None:
        qs = qs.filter(owner_id=None) if query.owner_id == 0 else qs.filter(owner_id=query.owner_id)
    if query.credit_score_min is not None:
        qs = qs.filter(credit_score__gte=query.credit_score_min)
    if query.credit_score_max is not None:
        qs = qs.filter(credit_score__lte=query.credit_score_max)
    if query.signed_from:
        qs = qs.filter(signed_at__gte=query.signed_from)
    if query.signed_to:
        qs = qs.filter(signed_at__lte=query.signed_to)
    if query.contract_ending_within_days is not None:
        today = business_today()
        qs = qs.filter(
            contract_end_at__gte=today,
            contract_end_at__lte=today + dt.timedelta(days=query.contract_ending_within_days),
        )
    return qs


async def list_customers(query: CustomerListQuery, *, deleted: bool = False) -> dict[str, Any]:
    """A page of customers: the page's ids from the filters' index, then those rows with their
    owners (``core.list_pages``)."""
    return await deferred_page(
        filtered(query, deleted=deleted, with_owner=False),
        query,
        sortable=SORTABLE,
        default_sort="-id",
        related={"owner": ("display_name", "username")},
        count_key=filters_key(query, "customer", "deleted" if deleted else "live"),
    )
