"""List endpoints: page, page_size (≤ 200), sort over an allowed set of fields."""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping
from functools import reduce
from typing import Any, TypeVar

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from opcms.core.errors import ValidationFailed
from opcms.core.schemas import PageQuery

ModelT = TypeVar("ModelT", bound=Model)


def order_by(
    sort: str | None, allowed: Iterable[str], default: str = "-id", sort_as: Mapping[str, str] | None = None
) -> list[str]:
    """The ORDER BY of a ``sort`` parameter ("-total,due_date"); a field not ``allowed`` is a 422.
    ``sort_as`` names what a field is sorted on when that is not the field itself (the numeric
    annotation of a money column on SQLite: ``core.db.as_numbers``)."""
    if not sort:
        return [default]
    allowed = set(allowed)
    sort_as = sort_as or {}
    orders = []
    for part in sort.split(","):
        part = part.strip()
        sign, name = ("-", part[1:]) if part.startswith("-") else ("", part)
        if name not in allowed:
            raise ValidationFailed.field(
                "sort",
                f"cannot sort by {part!r}; allowed: {', '.join(sorted(allowed))}",
                code="sort_refused",
                params={"field": part, "allowed": sorted(allowed)},
            )
        orders.append(sign + sort_as.get(name, name))
    # a stable tie-breaker so pages never overlap, in the direction of the last sort key, so an
    # index on (…, key) — which ends with the primary key in InnoDB — can serve the whole order
    if "id" not in {o.lstrip("-") for o in orders}:
        orders.append("-id" if orders[-1].startswith("-") else "id")
    return orders


async def paginate(
    queryset: QuerySet[Any],
    query: PageQuery,
    *,
    sortable: Iterable[str],
    default_sort: str = "-id",
    sort_as: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    total = await queryset.count()
    rows = (
        await queryset.order_by(*order_by(query.sort, sortable, default_sort, sort_as))
        .offset((query.page - 1) * query.page_size)
        .limit(query.page_size)
    )
    return {"items": rows, "total": total, "page": query.page, "page_size": query.page_size}


def where_given(
    queryset: QuerySet[ModelT], query: PageQuery, *names: str, **lookups: str
) -> QuerySet[ModelT]:
    """``queryset`` narrowed by the filters ``query`` gave: each of ``names`` is a field of the
    query and a lookup alike; ``lookups`` maps a lookup to the query field that feeds it
    (``usage_day__gte="day_from"``). A filter left out (None) or sent blank ("") narrows
    nothing; ``False`` and ``0`` do narrow."""
    given = {}
    for lookup, field in ({name: name for name in names} | lookups).items():
        value = getattr(query, field)
        if value is not None and value != "":
            given[lookup] = value
    return queryset.filter(**given) if given else queryset


def matching_any(queryset: QuerySet[ModelT], text: str | None, *lookups: str) -> QuerySet[ModelT]:
    """``queryset`` narrowed to the rows where any of ``lookups`` (``"remark__icontains"``)
    matches ``text``, trimmed: a list's search box. A missing or blank text narrows nothing."""
    word = (text or "").strip()
    if not word:
        return queryset
    return queryset.filter(reduce(operator.or_, (Q(**{lookup: word}) for lookup in lookups)))
