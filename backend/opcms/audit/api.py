"""Audit log routes (auditors and admins)."""

from __future__ import annotations

from sanic import Blueprint, Request

from opcms.audit.queries import list_audit_log
from opcms.audit.schemas import AuditLogPage, AuditLogQuery
from opcms.core.http import endpoint

bp = Blueprint("audit", url_prefix="/api/v1")


@bp.get("/audit-log")
@endpoint(permission="audit:read", query=AuditLogQuery, response=AuditLogPage, tag="audit")
async def audit_log(request: Request, query: AuditLogQuery) -> AuditLogPage:
    """Every write, login and failed login, newest first; filter by entity, actor, action, time."""
    return AuditLogPage.model_validate(await list_audit_log(query))
