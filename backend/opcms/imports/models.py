"""Every Excel import is kept: who ran it, when, on which file, in which mode, how it went.

An import is a record of work done, like a task execution: it is never edited by people nor
deleted, so it carries its own bookkeeping instead of the soft-delete audit fields; the
import itself appends one ``import`` row to the audit log (create/upsert modes).
"""

from __future__ import annotations

import enum

from tortoise import fields
from tortoise.models import Model

from opcms.core.models import foreign_key


class ImportMode(str, enum.Enum):
    VALIDATE = "validate"  # dry run: checks every row, writes nothing
    CREATE = "create"  # new customers only; an existing code is a failed row
    UPSERT = "upsert"  # new customers are created, existing ones (by code) updated


class ImportStatus(str, enum.Enum):
    PENDING = "pending"  # stored, waiting for a worker
    RUNNING = "running"
    SUCCEEDED = "succeeded"  # ran to the end (rows may still have failed: see the counts)
    FAILED = "failed"  # stopped by an error; nothing was written (see error_message)


class ImportStage(str, enum.Enum):
    QUEUED = "queued"
    READING = "reading"  # rows read and checked: processed / total
    WRITING = "writing"  # rows written: written / (created + updated)
    DONE = "done"


class ImportJob(Model):
    id = fields.BigIntField(primary_key=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    updated_at = fields.DatetimeField(auto_now=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)
    # who: the actor's name (user name or system:<task>) and, for people, their id
    created_by = fields.CharField(max_length=64)
    created_by_user_id = fields.BigIntField(null=True)
    request_id = fields.CharField(max_length=64, null=True)
    client_ip = fields.CharField(max_length=45, null=True)

    file_name = fields.CharField(max_length=255)
    file_size = fields.BigIntField(default=0)
    file_sha256 = fields.CharField(max_length=64)
    # the upload, kept in the file store under imports/<stored_name> (core/storage.py; the
    # error workbook and a worker re-read it): "<year>/<month>/<id>.xlsx"
    stored_name = fields.CharField(max_length=100)
    mode = fields.CharEnumField(ImportMode, max_length=16)
    status = fields.CharEnumField(ImportStatus, max_length=16, default=ImportStatus.PENDING, db_index=True)
    stage = fields.CharEnumField(ImportStage, max_length=16, default=ImportStage.QUEUED)
    background = fields.BooleanField(default=False)

    # progress: `processed` of `total` rows read and checked, then `written` rows written
    total = fields.IntField(default=0)
    processed = fields.IntField(default=0)
    written = fields.IntField(default=0)
    # the report's counts (in validate mode: what an upsert would do)
    created = fields.IntField(default=0)
    updated = fields.IntField(default=0)
    unchanged = fields.IntField(default=0)
    skipped_blank = fields.IntField(default=0)
    failed = fields.IntField(default=0)
    header_row = fields.IntField(null=True)
    ignored_columns: fields.JSONField[list[str]] = fields.JSONField(default=list)
    error_code = fields.CharField(max_length=64, null=True)
    error_message = fields.TextField(null=True)

    class Meta:
        table = "import_job"
        ordering = ("-id",)


class ImportRowError(Model):
    """One problem of one row: the Excel row number, the column as headed in the file, why."""

    id = fields.BigIntField(primary_key=True)
    job: fields.ForeignKeyRelation[ImportJob] = foreign_key(
        "opcms.ImportJob", "row_errors", on_delete=fields.CASCADE
    )
    job_id: int
    row = fields.IntField()
    column_name = fields.CharField(max_length=255)
    value = fields.TextField(null=True)
    reason = fields.CharField(max_length=500)

    class Meta:
        table = "import_row_error"
        ordering = ("id",)
