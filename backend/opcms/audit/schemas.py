"""Audit log read shapes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field, model_validator

from opcms.core.schemas import Page, PageQuery, PublicSchema, UtcDateTime, sort_by


class AuditLogPublic(PublicSchema):
    id: int
    occurred_at: dt.datetime
    actor: str
    actor_user_id: int | None
    action: str
    entity_type: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    message: str
    request_id: str | None
    client_ip: str | None


AUDIT_SORTABLE = ("id", "occurred_at", "actor", "action", "entity_type")


class AuditLogQuery(PageQuery):
    entity_type: str | None = Field(default=None, max_length=64)
    entity_id: str | None = Field(default=None, max_length=64)
    actor: str | None = Field(default=None, max_length=64)
    action: str | None = Field(default=None, max_length=32)
    request_id: str | None = Field(default=None, max_length=64)
    since: UtcDateTime | None = Field(default=None, description="occurred at or after (ISO 8601)")
    until: UtcDateTime | None = Field(default=None, description="occurred before (ISO 8601)")
    sort: str | None = sort_by(*AUDIT_SORTABLE)

    @model_validator(mode="after")
    def _range(self) -> AuditLogQuery:
        if self.since and self.until and self.until <= self.since:
            raise ValueError("until must be after since")
        return self


class AuditLogPage(Page[AuditLogPublic]):
    pass
