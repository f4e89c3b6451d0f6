"""Reading the deleted rows of one kind, with who deleted them, when and why."""

from __future__ import annotations

from typing import Any

from opcms.core.audit import AuditAction, AuditLog
from opcms.core.deletions import DeletableKind, deletable_kind, deletable_kinds
from opcms.core.pagination import matching_any, paginate, where_given
from opcms.deleted.schemas import DELETED_SORTABLE, DeletedRecordQuery


async def list_kinds() -> list[dict[str, Any]]:
    return [
        {
            "kind": kind.kind,
            "count": await kind.model.with_deleted().filter(is_deleted=True).count(),
            "codes_freed": kind.codes_freed,
            "unique_fields": [u.field for u in kind.unique],
        }
        for kind in deletable_kinds()
    ]


async def delete_reasons(kind: DeletableKind, ids: list[int]) -> dict[int, str]:
    """The reason given at each row's latest delete (the delete's audit message)."""
    if not ids:
        return {}
    rows = (
        await AuditLog.filter(
            entity_type=kind.entity, entity_id__in=[str(i) for i in ids], action=AuditAction.DELETE.value
        )
        .order_by("id")
        .values_list("entity_id", "message")
    )
    return {int(entity_id): message for entity_id, message in rows}  # the latest wins


def record_public(kind: DeletableKind, row: Any, reason: str) -> dict[str, Any]:
    return {
        "kind": kind.kind,
        "id": row.id,
        "label": kind.label(row),
        "deleted_at": row.deleted_at,
        "deleted_by": row.deleted_by,
        "reason": reason,
        "record": kind.record(row),
    }


async def list_deleted(query: DeletedRecordQuery) -> dict[str, Any]:
    kind = deletable_kind(query.entity)
    rows = kind.model.with_deleted().filter(is_deleted=True)
    rows = where_given(rows, query, "deleted_by")
    rows = matching_any(rows, query.q, *(f"{name}__icontains" for name in kind.search_fields))
    page = await paginate(rows, query, sortable=DELETED_SORTABLE, default_sort="-deleted_at")
    reasons = await delete_reasons(kind, [row.id for row in page["items"]])
    page["items"] = [record_public(kind, row, reasons.get(row.id, "")) for row in page["items"]]
    return page
