"""Customer and dictionary routes: thin handlers over the customer services."""

from __future__ import annotations

import datetime as dt

from sanic import Blueprint, Request

from opcms.core.errors import NotFound
from opcms.core.excel import Export
from opcms.core.http import endpoint, require_permission
from opcms.core.schemas import DeleteQuery, patch_changes
from opcms.customers import dictionaries, export, queries, service
from opcms.customers.models import DictionaryKind
from opcms.customers.schemas import (
    SEES_DELETED,
    AuditEntry,
    BatchAction,
    BatchResult,
    CustomerCreate,
    CustomerDetail,
    CustomerListQuery,
    CustomerPage,
    CustomerPublic,
    CustomerRecordQuery,
    CustomerUpdate,
    DictionaryEntryCreate,
    DictionaryEntryPublic,
    DictionaryEntryUpdate,
    DictionaryList,
    DictionaryQuery,
    StatusChange,
    StatusHistoryPublic,
)

bp = Blueprint("customers", url_prefix="/api/v1")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _public(customer) -> CustomerPublic:
    return CustomerPublic.model_validate(customer)


@bp.get("/customers")
@endpoint(permission="customers:read", query=CustomerListQuery, response=CustomerPage, tag="customers")
async def list_customers(request: Request, query: CustomerListQuery) -> CustomerPage:
    """List live customers with filters, sorting and paging."""
    return CustomerPage.model_validate(await queries.list_customers(query))


@bp.get("/customers/export")
@endpoint(permission="customers:read", query=CustomerListQuery, produces=XLSX, tag="customers")
async def export_customers(request: Request, query: CustomerListQuery) -> None:
    """The customers matching the filters as an .xlsx file (the import's columns)."""
    async with Export("customers") as file:
        await export.write_customers_xlsx(query, file.path)
        chunks = await file.stored()
        stamp = dt.datetime.now(request.app.ctx.settings.tz).strftime("%Y%m%d-%H%M%S")
        response = await request.respond(
            content_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="customers-{stamp}.xlsx"'},
        )
        async for chunk in chunks:
            await response.send(chunk)
        await response.eof()
        return None


@bp.get("/customers/deleted")
@endpoint(permission=SEES_DELETED, query=CustomerListQuery, response=CustomerPage, tag="customers")
async def list_deleted_customers(request: Request, query: CustomerListQuery) -> CustomerPage:
    """Soft-deleted customers with who deleted them and when."""
    return CustomerPage.model_validate(await queries.list_customers(query, deleted=True))


@bp.post("/customers")
@endpoint(
    permission="customers:write", body=CustomerCreate, response=CustomerPublic, status=201, tag="customers"
)
async def create_customer(request: Request, body: CustomerCreate) -> CustomerPublic:
    """Create a customer."""
    return _public(await service.create_customer(body))


@bp.get("/customers/<customer_id:int>")
@endpoint(permission="customers:read", query=CustomerRecordQuery, response=CustomerDetail, tag="customers")
async def get_customer(request: Request, customer_id: int, query: CustomerRecordQuery) -> CustomerDetail:
    """A customer with status history and audit trail; a soft-deleted one is a 404 unless
    include_deleted=true is asked by a role that reads deleted customers."""
    if query.include_deleted:
        require_permission(request, SEES_DELETED)
    record = await service.get_detail(customer_id, include_deleted=query.include_deleted)
    return CustomerDetail(
        **_public(record.customer).model_dump(),
        status_history=[StatusHistoryPublic.model_validate(h) for h in record.status_history],
        audit_trail=[AuditEntry.model_validate(a) for a in record.audit_trail],
    )


@bp.patch("/customers/<customer_id:int>")
@endpoint(permission="customers:write", body=CustomerUpdate, response=CustomerPublic, tag="customers")
async def update_customer(request: Request, customer_id: int, body: CustomerUpdate) -> CustomerPublic:
    """Change some fields of a customer."""
    return _public(await service.update_customer(customer_id, body))


@bp.delete("/customers/<customer_id:int>")
@endpoint(permission="customers:write", query=DeleteQuery, response=CustomerPublic, tag="customers")
async def delete_customer(request: Request, customer_id: int, query: DeleteQuery) -> CustomerPublic:
    """Soft-delete a customer (kept, hidden, restorable)."""
    return _public(await service.delete_customer(customer_id, query.reason))


@bp.post("/customers/<customer_id:int>/restore")
@endpoint(permission="customers:restore", response=CustomerPublic, tag="customers")
async def restore_customer(request: Request, customer_id: int) -> CustomerPublic:
    """Bring back a soft-deleted customer (409 if its code or name is live again)."""
    return _public(await service.restore_customer(customer_id))


@bp.post("/customers/<customer_id:int>/status")
@endpoint(permission="customers:write", body=StatusChange, response=CustomerPublic, tag="customers")
async def change_status(request: Request, customer_id: int, body: StatusChange) -> CustomerPublic:
    """Move the account status (409 when the status machine forbids it)."""
    return _public(await service.change_status(customer_id, body.status, body.reason))


@bp.post("/customers/batch")
@endpoint(permission="customers:write", body=BatchAction, response=BatchResult, tag="customers")
async def batch(request: Request, body: BatchAction) -> BatchResult:
    """Assign owner, change level or status, or soft-delete many customers: all or nothing."""
    return BatchResult(action=body.action, affected=await service.run_batch(body))


def _kind(kind: str) -> DictionaryKind:
    try:
        return DictionaryKind(kind)
    except ValueError:
        raise NotFound(
            f"no dictionary {kind!r}; use industry or level",
            code="dictionary_not_found",
            params={"kind": kind},
        ) from None


@bp.get("/dictionaries/<kind:str>")
@endpoint(permission="customers:read", query=DictionaryQuery, response=DictionaryList, tag="dictionaries")
async def list_dictionary(request: Request, kind: str, query: DictionaryQuery) -> DictionaryList:
    """The entries of a dictionary (industry or level)."""
    entries = await dictionaries.list_entries(_kind(kind), include_inactive=query.include_inactive)
    return DictionaryList(items=[DictionaryEntryPublic.model_validate(e) for e in entries])


@bp.post("/dictionaries/<kind:str>")
@endpoint(
    permission="dictionaries:write",
    body=DictionaryEntryCreate,
    response=DictionaryEntryPublic,
    status=201,
    tag="dictionaries",
)
async def create_dictionary_entry(
    request: Request, kind: str, body: DictionaryEntryCreate
) -> DictionaryEntryPublic:
    """Add a dictionary entry with its synonyms."""
    entry = await dictionaries.create_entry(
        _kind(kind), body.code, body.label, body.synonyms, body.sort_order, label_en=body.label_en
    )
    return DictionaryEntryPublic.model_validate(entry)


@bp.patch("/dictionaries/<kind:str>/<entry_id:int>")
@endpoint(
    permission="dictionaries:write",
    body=DictionaryEntryUpdate,
    response=DictionaryEntryPublic,
    tag="dictionaries",
)
async def update_dictionary_entry(
    request: Request, kind: str, entry_id: int, body: DictionaryEntryUpdate
) -> DictionaryEntryPublic:
    """Change a label, synonyms, order, or retire an entry (is_active=false)."""
    entry = await dictionaries.update_entry(_kind(kind), entry_id, patch_changes(body))
    return DictionaryEntryPublic.model_validate(entry)
