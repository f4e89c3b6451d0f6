"""Reading the audit log with filters."""

from __future__ import annotations

import datetime as dt
from typing import Any

from opcms.audit.schemas import AuditLogQuery
from opcms.core.audit import AuditLog
from opcms.core.pagination import paginate

SORTABLE = ("id", "occurred_at", "actor", "action", "entity_type")


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


async def list_audit_log(query: AuditLogQuery) -> dict[str, Any]:
    filters: dict[str, Any] = {
        name: getattr(query, name)
        for name in ("entity_type", "entity_id", "actor", "action", "request_id")
        if getattr(query, name) is not None
    }
    if query.since:
        filters["occurred_at__gte"] = _aware(query.since)
    if query.until:
        filters["occurred_at__lt"] = _aware(query.until)
    return await paginate(AuditLog.filter(**filters), query, sortable=SORTABLE, default_sort="-id")
