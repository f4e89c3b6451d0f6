"""Data source reads: one source, the source list with mapped-account counts, and the customer
accounts mapped on a source. Answers carry secret names only, never a value."""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Count

from opcms.core.models import get_or_404
from opcms.core.pagination import paginate, where_given
from opcms.core.schemas import answer
from opcms.core.secrets import secret_fields
from opcms.usage.models import CustomerSourceAccount, DataSource
from opcms.usage.sources.schemas import (
    MAPPING_SORTABLE,
    SOURCE_SORTABLE,
    AccountMappingPublic,
    AccountMappingQuery,
    DataSourcePublic,
    DataSourceQuery,
)


async def get_source(source_id: int) -> DataSource:
    return await get_or_404(DataSource, source_id, "data_source")


async def account_counts(source_ids: list[int]) -> dict[int, int]:
    if not source_ids:
        return {}
    rows = await (
        CustomerSourceAccount.filter(source_id__in=source_ids)
        .annotate(n=Count("id"))
        .group_by("source_id")
        .values_list("source_id", "n")
    )
    return {source_id: n for source_id, n in rows}


def source_public(source: DataSource, accounts: int) -> DataSourcePublic:
    return answer(
        DataSourcePublic,
        source,
        settings=dict(source.settings or {}),
        accounts=accounts,
        **secret_fields(source.secrets_encrypted),
    )


async def describe(source: DataSource) -> DataSourcePublic:
    return source_public(source, (await account_counts([source.id])).get(source.id, 0))


async def list_sources(query: DataSourceQuery) -> dict[str, Any]:
    qs = where_given(DataSource.all(), query, "adapter", "is_enabled", name__icontains="q")
    page = await paginate(qs, query, sortable=SOURCE_SORTABLE, default_sort="name")
    counts = await account_counts([source.id for source in page["items"]])
    page["items"] = [source_public(source, counts.get(source.id, 0)) for source in page["items"]]
    return page


async def list_accounts(source_id: int, query: AccountMappingQuery) -> dict[str, Any]:
    source = await get_source(source_id)
    mappings = CustomerSourceAccount.filter(source_id=source.id).select_related("customer")
    qs = where_given(mappings, query, "customer_id")
    if query.q:  # trimmed by the query schema
        qs = qs.filter(
            Q(external_account__icontains=query.q)
            | Q(customer__customer_code__icontains=query.q)
            | Q(customer__company_name__icontains=query.q)
        )
    page = await paginate(qs, query, sortable=MAPPING_SORTABLE, default_sort="external_account")
    page["items"] = [mapping_public(m) for m in page["items"]]
    return page


def mapping_public(mapping: CustomerSourceAccount) -> AccountMappingPublic:
    """Needs the customer loaded: people read its code, name and status, not its id."""
    customer = mapping.customer
    return answer(
        AccountMappingPublic,
        mapping,
        customer_code=customer.customer_code,
        company_name=customer.company_name,
        customer_status=getattr(customer.status, "value", customer.status),
    )
