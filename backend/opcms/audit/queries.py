"""Reading the audit log with filters, a page at a time by keyset.

The order is (occurred_at, id), newest first unless asked otherwise; a page's cursor is the
position of its last row, and the next page is the rows strictly after that position. Rows
written meanwhile are newer than every position already read, so paging on never skips nor
repeats a row, and no page costs more than its own rows: every filter has an index that goes
on with occurred_at (``core.audit.AuditLog``), and no page counts the matching rows.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from opcms.audit.schemas import AuditLogFilter, AuditLogPublic, AuditLogQuery
from opcms.core.audit import AuditLog
from opcms.core.errors import ValidationFailed
from opcms.core.secrets import without_url_credentials

# the fields of a page's rows (AuditLogPublic)
PAGE_FIELDS = tuple(AuditLogPublic.model_fields)


def encode_cursor(occurred_at: dt.datetime, row_id: int) -> str:
    """The position of a row as an opaque, URL-safe text."""
    at = occurred_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return base64.urlsafe_b64encode(f"{at}|{row_id}".encode()).decode().rstrip("=")


def _bad_cursor() -> ValidationFailed:
    return ValidationFailed.field(
        "cursor", "not a cursor of this list; start again from the first page", code="audit_cursor_invalid"
    )


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    """The position a cursor names; a cursor this API did not write is a 422 on ``cursor``."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        at, _, row_id = text.partition("|")
        position = dt.datetime.strptime(at, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=dt.UTC), int(row_id)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _bad_cursor() from None
    if position[1] < 1:
        raise _bad_cursor()
    return position


def filtered(query: AuditLogFilter) -> QuerySet[AuditLog]:
    filters: dict[str, Any] = {
        name: getattr(query, name)
        for name in ("entity_type", "entity_id", "actor", "request_id")
        if getattr(query, name) not in (None, "")
    }
    if query.action is not None:
        filters["action"] = query.action.value
    if query.since:
        filters["occurred_at__gte"] = query.since
    if query.until:
        filters["occurred_at__lt"] = query.until
    return AuditLog.filter(**filters)


def _after(
    queryset: QuerySet[AuditLog], position: tuple[dt.datetime, int], newest_first: bool
) -> QuerySet[AuditLog]:
    # (occurred_at, id) past the position, written so that occurred_at bounds the index range
    # (a row comparison would not): occurred_at <= at AND (occurred_at < at OR id < last)
    at, last = position
    if newest_first:
        return queryset.filter(occurred_at__lte=at).filter(Q(occurred_at__lt=at) | Q(id__lt=last))
    return queryset.filter(occurred_at__gte=at).filter(Q(occurred_at__gt=at) | Q(id__gt=last))


def _ordered(queryset: QuerySet[AuditLog], newest_first: bool) -> QuerySet[AuditLog]:
    return (
        queryset.order_by("-occurred_at", "-id") if newest_first else queryset.order_by("occurred_at", "id")
    )


async def list_audit_log(query: AuditLogQuery) -> dict[str, Any]:
    newest_first = query.sort != "occurred_at"
    queryset = filtered(query)
    if query.cursor:
        queryset = _after(queryset, decode_cursor(query.cursor), newest_first)
    # the page is only shown: its rows are read as values, not built as model objects
    rows = await _ordered(queryset, newest_first).limit(query.page_size + 1).values(*PAGE_FIELDS)
    more = len(rows) > query.page_size
    rows = rows[: query.page_size]
    for row in rows:
        # as AuditLog answers its rows: URL credentials of rows written before masking, masked
        row["before"] = without_url_credentials(row["before"])
        row["after"] = without_url_credentials(row["after"])
    return {
        "items": rows,
        "page_size": query.page_size,
        "next_cursor": encode_cursor(rows[-1]["occurred_at"], rows[-1]["id"]) if more else None,
    }


async def more_rows_than(query: AuditLogFilter, limit: int) -> bool:
    """Whether more than ``limit`` rows match: one index probe ``limit`` rows in, not a count."""
    return bool(await _ordered(filtered(query), True).offset(limit).limit(1).values_list("id", flat=True))


async def audit_rows(query: AuditLogFilter, chunk: int) -> AsyncIterator[AuditLog]:
    """Every matching row, newest first, read ``chunk`` rows at a time by keyset."""
    queryset = _ordered(filtered(query), True)
    position: tuple[dt.datetime, int] | None = None
    while True:
        page = _after(queryset, position, True) if position else queryset
        rows = await page.limit(chunk)
        for row in rows:
            yield row
        if len(rows) < chunk:
            return
        position = (rows[-1].occurred_at, rows[-1].id)
