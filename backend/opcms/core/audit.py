"""The append-only audit log: one row for every write, login and failed login.

Models built on :class:`opcms.core.models.AuditedModel` write their rows automatically; other
events (login, logout, token reuse) call :func:`record_audit`. Rows are written on the same
connection as the change they describe, so a rolled-back change leaves no audit row behind.

A URL's user name and password (``https://user:password@host/``) never reach the log: settings
stored before such URLs were refused still hold them, and their before/after is written with
``***@`` in their place; rows written before that are read back the same way.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from typing import Any

from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

from opcms.core.context import current_actor, current_client_ip, current_request_id
from opcms.core.secrets import without_url_credentials


class AuditAction(str, enum.Enum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    RESTORE = "restore"
    STATUS_CHANGE = "status_change"
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    TOKEN_REUSE = "token_reuse"
    SESSION_REVOKE = "session_revoke"
    IMPORT = "import"
    VOID = "void"
    ALLOCATE = "allocate"
    REVERSE = "reverse"
    RETRY = "retry"
    # a batch action over customers (customers.service): one row naming every customer
    BATCH_ASSIGN_OWNER = "batch_assign_owner"
    BATCH_CHANGE_LEVEL = "batch_change_level"
    BATCH_CHANGE_STATUS = "batch_change_status"
    BATCH_SOFT_DELETE = "batch_soft_delete"


class AuditLog(Model):
    """An immutable record of one write. Never updated, never deleted.

    Read newest first by (occurred_at, id) with keyset pages (``opcms.audit.queries``): each
    filter of the log has an index that starts with the filtered columns and goes on with
    ``occurred_at`` — and, in InnoDB, with the primary key after it — so a filter, a time range
    and the order are all served by one index range, with no sort (migration 0012)."""

    id = fields.BigIntField(primary_key=True)
    occurred_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    actor = fields.CharField(max_length=64)
    actor_user_id = fields.BigIntField(null=True)
    action = fields.CharField(max_length=32)
    entity_type = fields.CharField(max_length=64)
    entity_id = fields.CharField(max_length=64, null=True)
    before: fields.JSONField[dict[str, Any] | None] = fields.JSONField(null=True)
    after: fields.JSONField[dict[str, Any] | None] = fields.JSONField(null=True)
    message = fields.CharField(max_length=255, default="")
    request_id = fields.CharField(max_length=64, null=True)
    client_ip = fields.CharField(max_length=45, null=True)

    class Meta:
        table = "audit_log"
        indexes = (
            ("entity_type", "entity_id", "occurred_at"),
            ("entity_type", "occurred_at"),
            ("actor", "occurred_at"),
            ("action", "occurred_at"),
            ("request_id", "occurred_at"),
        )
        ordering = ("-id",)

    @classmethod
    def _init_from_db(cls, **kwargs: Any) -> Any:
        row = super()._init_from_db(**kwargs)
        # a row written before credentials in URLs were masked on the way in is answered masked
        object.__setattr__(row, "before", without_url_credentials(row.before))
        object.__setattr__(row, "after", without_url_credentials(row.after))
        return row

    async def save(self, *args: Any, **kwargs: Any) -> None:
        if self._saved_in_db:
            raise PermissionError("audit_log is append-only")
        await super().save(*args, **kwargs)

    async def delete(self, *args: Any, **kwargs: Any) -> None:
        raise PermissionError("audit_log is append-only")


def to_json_value(value: Any) -> Any:
    """Audit values are JSON: money stays exact as a string, times as ISO 8601."""
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


async def record_audit(
    action: AuditAction | str,
    entity_type: str,
    entity_id: Any = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    message: str = "",
    actor_name: str | None = None,
    using_db: BaseDBAsyncClient | None = None,
) -> AuditLog:
    actor = current_actor.get()
    return await AuditLog.create(
        actor=(actor_name or actor.name)[:64],
        actor_user_id=actor.user_id,
        action=action.value if isinstance(action, AuditAction) else action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        before=without_url_credentials(before),
        after=without_url_credentials(after),
        message=message[:255],
        request_id=current_request_id.get(),
        client_ip=current_client_ip.get(),
        using_db=using_db,
    )
