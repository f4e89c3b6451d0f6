"""Reading the audit log with filters."""

from __future__ import annotations

from typing import Any

from opcms.audit.schemas import AUDIT_SORTABLE, AuditLogQuery
from opcms.core.audit import AuditLog
from opcms.core.pagination import paginate


async def list_audit_log(query: AuditLogQuery) -> dict[str, Any]:
    filters: dict[str, Any] = {
        name: getattr(query, name)
        for name in ("entity_type", "entity_id", "actor", "action", "request_id")
        if getattr(query, name) is not None
    }
    if query.since:
        filters["occurred_at__gte"] = query.since
    if query.until:
        filters["occurred_at__lt"] = query.until
    return await paginate(AuditLog.filter(**filters), query, sortable=AUDIT_SORTABLE, default_sort="-id")
