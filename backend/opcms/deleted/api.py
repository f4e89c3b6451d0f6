"""Deleted records routes: auditors and admins list them, admins restore them."""

from __future__ import annotations

from sanic import Blueprint, Request

from opcms.core.http import endpoint
from opcms.deleted import queries, service
from opcms.deleted.schemas import DeletedKindList, DeletedRecordPage, DeletedRecordPublic, DeletedRecordQuery

bp = Blueprint("deleted", url_prefix="/api/v1")
TAG = "deleted records"


@bp.get("/deleted-records/kinds")
@endpoint(permission="deleted:read", response=DeletedKindList, tag=TAG)
async def list_kinds(request: Request) -> DeletedKindList:
    """The kinds of record that can be deleted, with how many are, and whether deleting frees
    their code or name."""
    return DeletedKindList.model_validate({"items": await queries.list_kinds()})


@bp.get("/deleted-records")
@endpoint(
    permission="deleted:read", query=DeletedRecordQuery, response=DeletedRecordPage, tag=TAG, errors=(404,)
)
async def list_deleted(request: Request, query: DeletedRecordQuery) -> DeletedRecordPage:
    """The deleted records of one kind, last deleted first: who deleted each, when, why, and the
    record as it was (secrets masked). An unknown kind is a 404."""
    return DeletedRecordPage.model_validate(await queries.list_deleted(query))


@bp.post("/deleted-records/<kind:str>/<record_id:int>/restore")
@endpoint(permission="deleted:restore", response=DeletedRecordPublic, tag=TAG)
async def restore(request: Request, kind: str, record_id: int) -> DeletedRecordPublic:
    """Bring back a deleted record (audited as a restore). 409 not_deleted for a live record,
    409 restore_conflict when its freed code or name was taken again since, 409
    restore_parent_deleted while the record it hangs on is deleted."""
    return DeletedRecordPublic.model_validate(await service.restore(kind, record_id))
