"""A page of a busy list read the cheap way (DESIGN §15): the customer, invoice and payment lists.

The answer is the one ``core.pagination.paginate`` gives — the same rows, order and total —
read in two statements (one when the count is kept):

- the total: ``COUNT(*)`` over the filters alone, with no ORDER BY and no join the filters do
  not need (the filter's index is counted, nothing is sorted). Counting is the dearest part
  once many rows match (10,000 index entries cost more than the rest of the page), so a
  count above ``EXACT_COUNT_UP_TO`` is kept for ``COUNT_TTL`` seconds by the process and
  answered again meanwhile, flagged ``total_is_estimate: true``: exact as of at most that long
  ago. Up to that many rows the total is counted on every read, and exact;
- the page (``page_rows``): the page's ids from the filters, the order and the offset over the
  ids only, which a composite index on (is_deleted, filter…, sort key, id) serves without
  touching the rows or sorting (``migrations/0016_list_indexes``) — the deferred join — joined
  to those rows by primary key and to the few fields the page shows of their related rows.

The rows are read for display only (``core.models.read_only_rows``): no audit before-image.
A page past the last (exactly counted) row still answers the total, and no rows, as before.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from types import SimpleNamespace
from typing import Any

from tortoise.fields import DecimalField
from tortoise.models import Model
from tortoise.queryset import QuerySet

from opcms.core.db import is_sqlite, number_sql, statement_of
from opcms.core.models import read_only_rows
from opcms.core.pagination import order_by
from opcms.core.schemas import PageQuery

#: up to this many matching rows, a list counts them on every read
EXACT_COUNT_UP_TO = 2000
#: how long (seconds) a larger count is answered again before it is counted anew
COUNT_TTL = 5.0
#: what ``total_is_estimate`` of a list page means (its answer documents it)
TOTAL_IS_ESTIMATE = (
    f"true: more than {EXACT_COUNT_UP_TO:,} rows match and total is a count made up to {COUNT_TTL:g} "
    "seconds ago (rows added or removed since are not in it); false: total was counted for this answer"
)
#: how many filter combinations' counts a process keeps (the least recently used go first)
KEPT_COUNTS = 256
# the count statement (parameters inlined) -> (when it was counted, the count)
_recent_counts: OrderedDict[str, tuple[float, int]] = OrderedDict()
# the counts being made now, by key: a request finding one waits for it (``count_of``)
_counting: dict[str, asyncio.Future[int]] = {}


def forget_counts() -> None:
    """Drop the counts kept (a test that rebuilds its data between reads)."""
    _recent_counts.clear()


def filters_key(query: PageQuery, *context: object) -> str:
    """What a list's count depends on: its filters (not its page nor its sort), with ``context``
    the filters do not say (the list of deleted rows; the business day an "overdue" is read on)."""
    filters = query.model_dump_json(exclude={"page", "page_size", "sort"})
    return f"{type(query).__name__}|{'|'.join(map(str, context))}|{filters}"


async def count_of(queryset: QuerySet[Any], key: str | None = None) -> tuple[int, bool]:
    """How many rows match ``queryset``, and whether that is a count kept from an earlier read
    (above ``EXACT_COUNT_UP_TO`` rows, at most ``COUNT_TTL`` seconds old). ``key`` names the
    filters (``filters_key``); without one, the count's SQL does, which costs as much to build
    as a small count (a query built twice loses its joins: the key and the count are two).

    One count per key at a time: the requests that find a large count expired while another is
    counting it anew wait for that count (and call it kept), rather than each counting the same
    rows — under load every request in flight would otherwise count at once, every ``COUNT_TTL``
    seconds, and the list's slowest answers would be those."""
    key = key or queryset.count().sql(params_inline=True)
    kept = _recent_counts.get(key)
    now = time.monotonic()
    if kept is not None and now - kept[0] <= COUNT_TTL:
        _recent_counts.move_to_end(key)
        return kept[1], True
    running = _counting.get(key)
    if running is not None:
        try:
            total = await asyncio.shield(running)
        except asyncio.CancelledError:
            if not running.cancelled():
                raise  # this request itself was cancelled
            # the request that was counting was cancelled: count here
        else:
            return total, total > EXACT_COUNT_UP_TO
    counting: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    _counting[key] = counting
    try:
        total = await queryset.count()
    except asyncio.CancelledError:
        counting.cancel()
        raise
    except Exception as exc:
        counting.set_exception(exc)
        counting.exception()  # retrieved: the waiters see it, nobody else has to
        raise
    else:
        counting.set_result(total)
    finally:
        if _counting.get(key) is counting:
            del _counting[key]
    if total > EXACT_COUNT_UP_TO:
        _recent_counts[key] = (now, total)
        _recent_counts.move_to_end(key)
        while len(_recent_counts) > KEPT_COUNTS:
            _recent_counts.popitem(last=False)
    else:
        _recent_counts.pop(key, None)
    return total, False


async def page_rows(
    page: QuerySet[Any], orders: Sequence[str], related: Mapping[str, Sequence[str]] | None = None
) -> list[Any]:
    """The rows of ``page`` (a queryset already ordered by ``orders``, offset and limited), read
    for display only, in its order, each with the fields ``related`` names of its related rows
    (``{"owner": ("display_name", "username")}``) — all in one statement::

        SELECT t.*, r0.display_name AS "__owner__display_name", …
        FROM (SELECT id, <sort keys> FROM … WHERE … ORDER BY … LIMIT … OFFSET …) AS page
        JOIN customer AS t ON t.id = page.id
        LEFT JOIN auth_user AS r0 ON r0.id = t.owner_id
        ORDER BY page.<sort keys>

    The inner select is the deferred join's: the filters' index gives the page's ids without
    touching a row; the outer one reads those rows by primary key and sorts the page's few rows
    again on the keys the inner select carried out (a derived table keeps no order). One round
    trip instead of three (ids, rows, related rows), and no ORM query for the rows: what that cost
    in statement building and row handling was most of a list request's time (DESIGN §15)."""
    model: type[Model] = page.model
    keys = [name for name in dict.fromkeys(order.lstrip("-") for order in orders) if name != "id"]
    client, inner_sql, params = statement_of(page.values_list("id", *keys))
    q = '"' if is_sqlite() else "`"
    # values_list names its columns by position: "0" is the id, "1"… the sort keys
    position = {"id": "0", **{name: str(i) for i, name in enumerate(keys, start=1)}}

    def sort_key(name: str) -> str:
        column = f"page.{q}{position[name]}{q}"
        # Tortoise sorts a DECIMAL as a number (SQLite keeps it as text): the page is sorted
        # again the same way, or "100.00" would come before "20.00"
        return number_sql(column) if isinstance(model._meta.fields_map.get(name), DecimalField) else column

    order_sql = ", ".join(
        f"{sort_key(order.lstrip('-'))} {'DESC' if order.startswith('-') else 'ASC'}" for order in orders
    )
    columns = ["t.*"]
    joins = []
    relations: list[tuple[str, str, list[tuple[str, str]]]] = []
    for n, (name, fields) in enumerate((related or {}).items()):
        relation = model._meta.fields_map[name]
        source = relation.source_field or f"{name}_id"
        source_column = model._meta.fields_db_projection[source]
        target: type[Model] = relation.related_model  # type: ignore[attr-defined]
        aliases = [(field, f"__{name}__{field}") for field in fields]
        columns += [
            f"r{n}.{q}{target._meta.fields_db_projection[field]}{q} AS {q}{alias}{q}"
            for field, alias in aliases
        ]
        joins.append(
            f"LEFT JOIN {q}{target._meta.db_table}{q} AS r{n} ON r{n}.{q}id{q} = t.{q}{source_column}{q}"
        )
        relations.append((name, source, aliases))
    sql = (
        f"SELECT {', '.join(columns)} FROM ({inner_sql}) AS page"
        f" JOIN {q}{model._meta.db_table}{q} AS t ON t.{q}id{q} = page.{q}0{q}"
        f" {' '.join(joins)} ORDER BY {order_sql}"
    )
    found = await client.execute_query_dict(sql, params)
    rows = []
    with read_only_rows():
        for values in found:
            shown = {
                name: {field: values.pop(alias) for field, alias in aliases} for name, _, aliases in relations
            }
            row = model._init_from_db(**values)
            for name, source, _ in relations:
                key = getattr(row, source)
                # where the ORM keeps a relation it read with the row: the relation's attribute answers it
                row.__dict__[f"_{name}"] = None if key is None else SimpleNamespace(id=key, **shown[name])
            rows.append(row)
    return rows


async def deferred_page(
    queryset: QuerySet[Any],
    query: PageQuery,
    *,
    sortable: Iterable[str],
    default_sort: str = "-id",
    sort_as: Mapping[str, str] | None = None,
    related: Mapping[str, Sequence[str]] | None = None,
    count_key: str | None = None,
) -> dict[str, Any]:
    """``{items, total, total_is_estimate, page, page_size}`` of ``queryset`` (the filters,
    without select_related: ``related`` names the relations the page shows, and which of their
    fields (``page_rows``);
    ``count_key`` names its filters, see ``count_of``)."""
    orders = order_by(query.sort, sortable, default_sort, sort_as)
    total, estimate = await count_of(queryset, count_key)
    rows: list[Any] = []
    offset = (query.page - 1) * query.page_size
    if offset < total or estimate:
        rows = await page_rows(
            queryset.order_by(*orders).offset(offset).limit(query.page_size), orders, related
        )
    return {
        "items": rows,
        "total": total,
        "total_is_estimate": estimate,
        "page": query.page,
        "page_size": query.page_size,
    }
