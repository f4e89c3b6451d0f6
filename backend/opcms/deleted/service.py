"""Restoring a deleted record of any registered kind (admins)."""

from __future__ import annotations

from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from opcms.core.deletions import DeletableKind, deletable_kind, field_label, kind_label, restore_conflict
from opcms.core.errors import Conflict, NotFound
from opcms.core.schemas import MAX_ID
from opcms.deleted.queries import delete_reasons, record_public


async def _check_free(kind: DeletableKind, row: Any) -> None:
    """409 restore_conflict when a live row took one of the row's freed values since."""
    for unique in kind.unique:
        holder = await kind.model.filter(**unique.filter_for(row)).exclude(id=row.id).first()
        if holder is not None:
            raise restore_conflict(kind, unique.field, getattr(row, unique.field), holder.id)


async def _check_parents(kind: DeletableKind, row: Any) -> None:
    for parent in kind.parents:
        parent_id = getattr(row, parent.field)
        if parent_id is None:
            continue
        if not await parent.model.filter(id=parent_id).exists():
            params = {
                "kind": kind_label(kind.kind),
                "parent": kind_label(parent.kind),
                "parent_id": parent_id,
                "field": field_label(parent.field),
            }
            message = "cannot restore: its {parent} {parent_id} is deleted; restore that first"
            detail = {
                "field": parent.field,
                "code": "restore_parent_deleted",
                "params": params,
                "message": message,
            }
            raise Conflict(message, code="restore_parent_deleted", params=params, details=[detail])


async def restore(kind_name: str, record_id: int) -> dict[str, Any]:
    """Bring back one deleted record: 404 for an unknown kind or id, 409 ``not_deleted`` for a
    live one, 409 ``restore_conflict`` when its freed code or name is taken again, 409
    ``restore_parent_deleted`` while a row it hangs on is deleted, or the domain's own 409."""
    kind = deletable_kind(kind_name)
    try:
        async with in_transaction():
            row = (
                await kind.model.with_deleted().filter(id=record_id).select_for_update().first()
                if 0 < record_id <= MAX_ID
                else None
            )
            if row is None:
                raise NotFound.entity(kind.kind, record_id)
            if not row.is_deleted:
                raise Conflict(
                    "{kind} {id} is not deleted",
                    code="not_deleted",
                    params={"kind": kind_label(kind.kind), "id": record_id},
                )
            await _check_free(kind, row)
            await _check_parents(kind, row)
            if kind.check_restore is not None:
                await kind.check_restore(row)
            reason = (await delete_reasons(kind, [row.id])).get(row.id, "")
            await row.restore()
    except IntegrityError:
        # a unique key caught a value taken between the check and the write (a concurrent create)
        field = kind.unique[0].field if kind.unique else "id"
        params = {"kind": kind_label(kind.kind), "id": record_id, "field": field_label(field)}
        message = "cannot restore: the {field} of {kind} {id} was taken meanwhile"
        raise Conflict(
            message,
            code="restore_conflict",
            key="restore_conflict_race",
            params=params,
            details=[{"field": field, "code": "restore_conflict_race", "params": params, "message": message}],
        ) from None
    return record_public(kind, row, reason)
