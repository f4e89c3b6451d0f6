"""Audit log routes (auditors and admins)."""

from __future__ import annotations

import datetime as dt

from sanic import Blueprint, Request

from opcms.audit.export import check_export_size, write_audit_xlsx
from opcms.audit.queries import list_audit_log
from opcms.audit.schemas import (
    ENTITY_TYPES,
    ActionList,
    AuditLogFilter,
    AuditLogPage,
    AuditLogQuery,
    EntityTypeList,
)
from opcms.core.audit import AuditAction
from opcms.core.excel import XLSX_MEDIA_TYPE, Export
from opcms.core.http import endpoint

bp = Blueprint("audit", url_prefix="/api/v1")


@bp.get("/audit-log")
@endpoint(permission="audit:read", query=AuditLogQuery, response=AuditLogPage, tag="audit")
async def audit_log(request: Request, query: AuditLogQuery) -> AuditLogPage:
    """Every write, login and failed login, newest first; filter by entity, actor, action, time.
    A page at a time: the next page is asked for with the answer's next_cursor (no total)."""
    return AuditLogPage.model_validate(await list_audit_log(query))


@bp.get("/audit-log/export")
@endpoint(permission="audit:read", query=AuditLogFilter, produces=XLSX_MEDIA_TYPE, tag="audit", errors=(422,))
async def export_audit_log(request: Request, query: AuditLogFilter) -> None:
    """The entries matching the list's filters as an .xlsx file, newest first (Chinese headers);
    more than 50,000 matching entries is a 422 audit_export_too_large."""
    await check_export_size(query)
    settings = request.app.ctx.settings
    async with Export("audit-log") as export:
        await write_audit_xlsx(query, export.path, settings.tz)
        chunks = await export.stored()
        stamp = dt.datetime.now(settings.tz).strftime("%Y%m%d-%H%M%S")
        response = await request.respond(
            content_type=XLSX_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="audit-log-{stamp}.xlsx"'},
        )
        async for chunk in chunks:
            await response.send(chunk)
        await response.eof()


@bp.get("/audit-log/entity-types")
@endpoint(permission="audit:read", response=EntityTypeList, tag="audit")
async def audit_entity_types(request: Request) -> EntityTypeList:
    """The entity types the log names (for a filter's choices): a known list, not a scan."""
    return EntityTypeList(items=list(ENTITY_TYPES))


@bp.get("/audit-log/actions")
@endpoint(permission="audit:read", response=ActionList, tag="audit")
async def audit_actions(request: Request) -> ActionList:
    """The actions the log names (for a filter's choices)."""
    return ActionList(items=[action.value for action in AuditAction])
