"""Data source reads: one source, the source list with mapped-account counts, and the customer
accounts mapped on a source. Answers carry secret names only, never a value."""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Count

from opcms.core.models import get_or_404
from opcms.core.pagination import paginate
from opcms.core.secrets import secret_names
from opcms.usage.models import CustomerSourceAccount, DataSource
from opcms.usage.sources.schemas import AccountMappingQuery, DataSourceQuery


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


def public_fields(source: DataSource, accounts: int) -> dict[str, Any]:
    names, readable = secret_names(source.secrets_encrypted)
    return {
        "id": source.id,
        "name": source.name,
        "adapter": source.adapter,
        "settings": dict(source.settings or {}),
        "secret_names": names,
        "secrets_readable": readable,
        "is_enabled": source.is_enabled,
        "timeout_seconds": source.timeout_seconds,
        "remark": source.remark,
        "accounts": accounts,
        "created_at": source.created_at,
        "updated_at": source.updated_at,
        "created_by": source.created_by,
        "updated_by": source.updated_by,
    }


async def describe(source: DataSource) -> dict[str, Any]:
    return public_fields(source, (await account_counts([source.id])).get(source.id, 0))


async def list_sources(query: DataSourceQuery) -> dict[str, Any]:
    qs = DataSource.all()
    if query.q and query.q.strip():
        qs = qs.filter(name__icontains=query.q.strip())
    if query.adapter:
        qs = qs.filter(adapter=query.adapter)
    if query.is_enabled is not None:
        qs = qs.filter(is_enabled=query.is_enabled)
    page = await paginate(
        qs, query, sortable=("name", "adapter", "created_at", "updated_at"), default_sort="name"
    )
    counts = await account_counts([source.id for source in page["items"]])
    page["items"] = [public_fields(source, counts.get(source.id, 0)) for source in page["items"]]
    return page


async def list_accounts(source_id: int, query: AccountMappingQuery) -> dict[str, Any]:
    source = await get_source(source_id)
    qs = CustomerSourceAccount.filter(source_id=source.id).select_related("customer")
    if query.customer_id is not None:
        qs = qs.filter(customer_id=query.customer_id)
    if query.q and query.q.strip():
        word = query.q.strip()
        qs = qs.filter(
            Q(external_account__icontains=word)
            | Q(customer__customer_code__icontains=word)
            | Q(customer__company_name__icontains=word)
        )
    page = await paginate(
        qs, query, sortable=("external_account", "customer_id", "created_at"), default_sort="external_account"
    )
    page["items"] = [mapping_fields(m) for m in page["items"]]
    return page


def mapping_fields(mapping: CustomerSourceAccount) -> dict[str, Any]:
    customer = mapping.customer
    return {
        "id": mapping.id,
        "source_id": mapping.source_id,
        "customer_id": mapping.customer_id,
        "customer_code": customer.customer_code,
        "company_name": customer.company_name,
        "customer_status": getattr(customer.status, "value", customer.status),
        "external_account": mapping.external_account,
        "created_at": mapping.created_at,
        "created_by": mapping.created_by,
    }
