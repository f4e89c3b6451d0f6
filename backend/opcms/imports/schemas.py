"""Import request and response shapes.

The report (API and ``opcms import-customers --json``) is exactly DESIGN §14's
``{"total", "created", "updated", "unchanged", "skipped_blank", "failed", "errors": [...]}``
plus ``ignored_columns`` (headers of the file that are not customer columns).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from opcms.core.schemas import Page, PageQuery, PublicSchema, Schema, sort_by

Mode = Literal["validate", "create", "upsert"]
Status = Literal["pending", "running", "succeeded", "failed"]


class RowErrorOut(BaseModel):
    row: int = Field(description="the Excel row number, as finance sees it")
    column: str = Field(description="the column's header as written in the file")
    value: str | None = Field(description="the cell as read")
    reason: str


class ImportReport(BaseModel):
    total: int = Field(
        description="rows below the header: created + updated + unchanged + skipped_blank + failed"
    )
    created: int
    updated: int
    unchanged: int = Field(description="upsert found nothing to change")
    skipped_blank: int
    failed: int
    errors: list[RowErrorOut]
    ignored_columns: list[str] = Field(description="headers of the file that are not customer columns")


class ImportSummary(PublicSchema):
    id: int
    file_name: str
    file_size: int
    mode: Mode
    status: Status
    stage: Literal["queued", "reading", "writing", "done"]
    background: bool = Field(
        description="run by a worker (files over OPCMS_IMPORT_SYNC_ROWS rows, or the XML of that many)"
    )
    total: int
    processed: int = Field(description="rows read and checked so far (of total)")
    written: int = Field(description="rows written so far (of created + updated)")
    created: int
    updated: int
    unchanged: int
    skipped_blank: int
    failed: int
    error_code: str | None
    error_message: str | None
    created_by: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class ImportDetail(ImportSummary):
    report: ImportReport | None = Field(description="present once the import has succeeded")


class ImportPage(Page[ImportSummary]):
    pass


IMPORT_SORTABLE = ("id", "created_at", "finished_at", "file_name", "status", "mode", "total", "failed")


class ImportListQuery(PageQuery):
    status: Status | None = None
    mode: Mode | None = None
    created_by: str | None = Field(default=None, max_length=64)
    sort: str | None = sort_by(*IMPORT_SORTABLE)


class UploadForm(Schema):
    """multipart/form-data"""

    file: bytes = Field(json_schema_extra={"format": "binary"}, description="the .xlsx workbook")
    mode: Mode = Field(
        description="validate (dry run), create (new customers only) or upsert (by customer code)"
    )
