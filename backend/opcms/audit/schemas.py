"""Audit log read shapes: the keyset page, its filters, the export's cap."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field, model_validator

from opcms.core.audit import AuditAction
from opcms.core.i18n import Invalid
from opcms.core.schemas import PublicSchema, Schema, UtcDateTime


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


#: the entity types the product writes: every audited model's ``audit_entity`` and the events
#: recorded by hand (tests/backend/test_audit_log_page.py checks the models' side)
ENTITY_TYPES: tuple[str, ...] = (
    "alert_firing",
    "alert_rule",
    "allocation",
    "bank_payer_account",
    "bank_statement",
    "bank_statement_line",
    "bank_statement_profile",
    "credit_note",
    "customer",
    "customer_source_account",
    "data_source",
    "dictionary_entry",
    "invoice",
    "job_schedule",
    "notification",
    "notification_channel",
    "notification_template",
    "payment",
    "pricing_plan",
    "pricing_plan_version",
    "subscription",
    "task_execution",
    "usage_anomaly",
    "usage_metric",
    "usage_pull",
    "usage_upload",
    "user",
)

#: the most rows one export writes; a filter matching more is refused (narrow it). An export is
#: written within the request (Sanic answers 60 s at most): about 3,000 rows a second on 2 cores
EXPORT_MAX_ROWS = 50_000

CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,128}$"


class AuditLogFilter(Schema):
    """The filters of the log, shared by the list and the export."""

    entity_type: str | None = Field(default=None, max_length=64)
    entity_id: str | None = Field(default=None, max_length=64, description="needs entity_type")
    actor: str | None = Field(default=None, max_length=64, description="a user name, or system:<task>")
    action: AuditAction | None = None
    request_id: str | None = Field(default=None, max_length=64)
    since: UtcDateTime | None = Field(default=None, description="occurred at or after (ISO 8601)")
    until: UtcDateTime | None = Field(default=None, description="occurred before (ISO 8601)")

    @model_validator(mode="after")
    def _range(self) -> AuditLogFilter:
        if self.since and self.until and self.until <= self.since:
            raise Invalid("until_not_after_since", "until must be after since")
        if self.entity_id and not self.entity_type:
            # an id is only unique within its type, and only (type, id) has an index
            raise Invalid("entity_id_needs_entity_type", "entity_id needs entity_type")
        return self


class AuditLogQuery(AuditLogFilter):
    """One page of the log: newest first (or oldest first with ``sort=occurred_at``), the next
    page after ``cursor`` (the previous answer's ``next_cursor``). No count: the log has millions
    of rows."""

    page_size: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(
        default=None,
        pattern=CURSOR_PATTERN,
        description="the next_cursor of the previous page, as answered (opaque)",
    )
    sort: str | None = Field(
        default=None,
        pattern="^-?(occurred_at)$",
        description="-occurred_at (newest first, the default) or occurred_at; ties by id",
    )


class AuditLogPage(BaseModel):
    items: list[AuditLogPublic]
    page_size: int
    next_cursor: str | None = Field(description="the cursor of the next page; null on the last page")


class EntityTypeList(BaseModel):
    items: list[str]


class ActionList(BaseModel):
    items: list[str]
