"""A page of a busy list read the cheap way (DESIGN §15): the customer, invoice and payment lists.

The answer is the one ``core.pagination.paginate`` gives — the same rows, order and total —
read in three statements that each stay on an index:

- the total: ``COUNT(*)`` over the filters alone, with no ORDER BY and no join the filters do
  not need (the filter's index is counted, nothing is sorted);
- the page's ids: the filters, the order and the offset over the ids only, which a composite
  index on (is_deleted, filter…, sort key, id) serves without touching the rows or sorting
  (``migrations/0016_list_indexes``) — the deferred join;
- the page's rows: those ids by primary key, with their related rows, put in the page's order.

The rows are read for display only (``core.models.read_only_rows``): no audit before-image.
A page past the last row still answers the total (and no rows), as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tortoise.queryset import QuerySet

from opcms.core.models import column_values, read_only_rows
from opcms.core.pagination import order_by
from opcms.core.schemas import PageQuery


async def rows_by_ids(queryset: QuerySet[Any], ids: list[int], related: Iterable[str] = ()) -> list[Any]:
    """The rows of ``ids`` (read for display only) in the order of ``ids``."""
    if not ids:
        return []
    source = QuerySet(queryset.model).filter(id__in=ids)
    if related:
        source = source.select_related(*related)
    with read_only_rows():
        rows = await source
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in ids if i in by_id]


async def deferred_page(
    queryset: QuerySet[Any],
    query: PageQuery,
    *,
    sortable: Iterable[str],
    default_sort: str = "-id",
    sort_as: Mapping[str, str] | None = None,
    related: Iterable[str] = (),
) -> dict[str, Any]:
    """``{items, total, page, page_size}`` of ``queryset`` (the filters, without select_related:
    ``related`` names the relations the page's rows are read with)."""
    orders = order_by(query.sort, sortable, default_sort, sort_as)
    total = await queryset.count()
    ids: list[int] = []
    offset = (query.page - 1) * query.page_size
    if offset < total:
        ids = await column_values(queryset.order_by(*orders).offset(offset).limit(query.page_size), "id")
    return {
        "items": await rows_by_ids(queryset, ids, related),
        "total": total,
        "page": query.page,
        "page_size": query.page_size,
    }
