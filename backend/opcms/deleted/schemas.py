"""Deleted records: the list's query and answers, and the kinds."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from opcms.core.schemas import Page, PageQuery, PublicSchema, sort_by

DELETED_SORTABLE = ("id", "deleted_at", "deleted_by")


class DeletedKindPublic(PublicSchema):
    kind: str = Field(description="the kind of record, as the audit log's entity type names it")
    count: int = Field(description="how many records of this kind are deleted")
    codes_freed: bool = Field(
        description="true: deleting frees the record's code/name for a new record (a restore may "
        "then meet a conflict); false: a deleted record keeps its code/name taken"
    )
    unique_fields: list[str] = Field(description="the values a restore checks free")


class DeletedKindList(BaseModel):
    items: list[DeletedKindPublic]


class DeletedRecordPublic(PublicSchema):
    kind: str
    id: int
    label: str = Field(description="the record's code and/or name")
    deleted_at: dt.datetime | None
    deleted_by: str | None
    reason: str = Field(description="why it was deleted, as said at the delete (blank if nothing was said)")
    record: dict[str, Any] = Field(description="the row as it was, secrets masked as in the audit log")


class DeletedRecordQuery(PageQuery):
    entity: str = Field(min_length=1, max_length=64, pattern="^[a-z_]+$", description="the kind of record")
    q: str | None = Field(default=None, max_length=100, description="text in the record's code or name")
    deleted_by: str | None = Field(default=None, max_length=64)
    sort: str | None = sort_by(*DELETED_SORTABLE)


class DeletedRecordPage(Page[DeletedRecordPublic]):
    pass
