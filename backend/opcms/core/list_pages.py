"""A page of a busy list read the cheap way (DESIGN §15): the customer, invoice and payment lists.

The answer is the one ``core.pagination.paginate`` gives — the same rows, order and total —
read in three statements that each stay on an index:

- the total: ``COUNT(*)`` over the filters alone, with no ORDER BY and no join the filters do
  not need (the filter's index is counted, nothing is sorted). Counting is the dearest of the
  three once many rows match (10,000 index entries cost more than the rest of the page), so a
  count above ``EXACT_COUNT_UP_TO`` is kept for ``COUNT_TTL`` seconds by the process and
  answered again meanwhile, flagged ``total_is_estimate: true``: exact as of at most that long
  ago. Up to that many rows the total is counted on every read, and exact;
- the page's ids: the filters, the order and the offset over the ids only, which a composite
  index on (is_deleted, filter…, sort key, id) serves without touching the rows or sorting
  (``migrations/0016_list_indexes``) — the deferred join;
- the page's rows: those ids by primary key, put in the page's order; then, per relation the
  page shows, the few fields it shows of the related rows, in one statement for the page.

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

from tortoise.models import Model
from tortoise.queryset import QuerySet

from opcms.core.models import column_values, read_only_rows
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


async def rows_by_ids(
    queryset: QuerySet[Any], ids: list[int], related: Mapping[str, Sequence[str]] | None = None
) -> list[Any]:
    """The rows of ``ids`` (read for display only) in the order of ``ids``, each with the
    fields ``related`` names of its related rows (``{"owner": ("display_name", "username")}``)."""
    if not ids:
        return []
    with read_only_rows():
        rows = await QuerySet(queryset.model).filter(id__in=ids)
    by_id = {row.id: row for row in rows}
    page = [by_id[i] for i in ids if i in by_id]
    for name, fields in (related or {}).items():
        await _with_related(page, queryset.model, name, fields)
    return page


async def _with_related(rows: list[Any], model: type[Model], name: str, fields: Sequence[str]) -> None:
    """Lay over each row its ``name`` relation as the related row's ``fields`` (and id), read
    in one statement for the whole page, deleted related rows included (as a join reads them).

    A page shows a related row by a name or two; reading it whole through a join
    (``select_related``) built an ORM object of every column for each row, which cost a list
    page twice what its own rows did (1.0 of 1.6 ms of CPU for 20 customers with their owners)."""
    relation = model._meta.fields_map[name]
    key = relation.source_field or f"{name}_id"
    wanted = {getattr(row, key) for row in rows} - {None}
    found: dict[Any, SimpleNamespace] = {}
    if wanted:
        target: type[Model] = relation.related_model  # type: ignore[attr-defined]
        values = await QuerySet(target).filter(id__in=wanted).values_list("id", *fields)
        found = {
            value[0]: SimpleNamespace(id=value[0], **dict(zip(fields, value[1:], strict=True)))
            for value in values
        }
    for row in rows:
        # where the ORM keeps a relation it read with the row: the relation's attribute answers it
        row.__dict__[f"_{name}"] = found.get(getattr(row, key))


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
    fields (``rows_by_ids``);
    ``count_key`` names its filters, see ``count_of``)."""
    orders = order_by(query.sort, sortable, default_sort, sort_as)
    total, estimate = await count_of(queryset, count_key)
    ids: list[int] = []
    offset = (query.page - 1) * query.page_size
    if offset < total or estimate:
        ids = await column_values(queryset.order_by(*orders).offset(offset).limit(query.page_size), "id")
    return {
        "items": await rows_by_ids(queryset, ids, related),
        "total": total,
        "total_is_estimate": estimate,
        "page": query.page,
        "page_size": query.page_size,
    }
